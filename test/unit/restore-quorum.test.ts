import assert from 'node:assert/strict';
import {behind, electionZxid, pickSurvivor, rebuildOrder, type VoterLook} from '../../src/ops/quorum/plan.js';
import {parseDynamicConfig} from '../../src/zk/parse.js';

const line = (id: number, zxid: string) =>
  `2026-12-06 03:01:02,003 [myid:${id}] - INFO  [QuorumPeer[myid=${id}](plain=[0:0:0:0:0:0:0:0]:2181)(secure=disabled):o.a.z.s.q.FastLeaderElection@947] - New election. My id = ${id}, proposed zxid=${zxid}`;

describe('restore-quorum rules', () => {
  it("electionZxid: the last election line of the server's log (as 3.8 and 3.9 write it); none without one", () => {
    const log = [line(3, '0x0'), 'INFO something else', line(3, '0x10000004b'), 'Notification time out: 400'].join('\n');
    assert.deepEqual(electionZxid(log), {id: 3, zxid: 0x10000004bn});
    assert.equal(electionZxid('kubectl-zk start: data directory is empty ... waiting for a leader'), undefined);
  });

  const look = (id: number, zxid?: string): VoterLook => ({ordinal: id - 1, pod: `zk-${id - 1}`, id, ...(zxid ? {zxid} : {why: 'not running'})});

  it('pickSurvivor: the highest zxid, then the highest id (the election order); members without a zxid never', () => {
    assert.equal(pickSurvivor([look(1, '0x100000005'), look(2, '0x200000001'), look(3, '0x100000009')])?.pod, 'zk-1');
    assert.equal(pickSurvivor([look(1, '0x100000005'), look(2, '0x100000005')])?.pod, 'zk-1');
    assert.equal(pickSurvivor([look(1), look(2, '0x3')])?.pod, 'zk-1');
    assert.equal(pickSurvivor([look(1), look(2)]), undefined);
  });

  it('behind: transactions in one epoch, epochs across; nothing newer recorded says what cannot be known', () => {
    assert.match(behind('0x10000000a', ['0x10000000f', undefined]).summary, /is 5 transaction\(s\) behind the last known 0x10000000f/);
    assert.match(behind('0x10000000a', ['0x300000001']).summary, /is 2 epoch\(s\) behind the last known 0x300000001/);
    const same = behind('0x10000000a', ['0x100000003', '100000000']);
    assert.equal(same.lastKnown, '0x10000000a');
    assert.match(same.summary, /nothing recorded is newer than the survivor's 0x10000000a; transactions the lost members logged after it \(if any\) cannot be known/);
  });

  it('rebuildOrder: every other recorded member in id order, in its recorded role', () => {
    const cfg = parseDynamicConfig(
      ['server.1=a:2888:3888:participant;2181', 'server.2=b:2888:3888:participant;2181', 'server.3=c:2888:3888:participant;2181', 'server.4=d:2888:3888:observer;2181'].join('\n'),
    );
    assert.deepEqual(rebuildOrder('zk', cfg, 2), [
      {ordinal: 0, pod: 'zk-0', role: 'participant'},
      {ordinal: 2, pod: 'zk-2', role: 'participant'},
      {ordinal: 3, pod: 'zk-3', role: 'observer'},
    ]);
  });
});
