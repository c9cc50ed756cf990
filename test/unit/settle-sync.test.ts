import assert from 'node:assert/strict';
import {onlySyncGap, settleSyncGap, SYNC_SETTLE_MS} from '../../src/ops/wait.js';
import {memberRow, statusReport} from '../support/status-report.js';
import {fakeTime} from '../support/time.js';

const member = memberRow;
const report = statusReport;

const lagging = report({sync: {followers: 0, pendingSyncs: 0}});

describe('settleSyncGap: a sync gap alone is given time before a command judges it', () => {
  it('onlySyncGap: every member serves and is Ready, only the leader count is short', () => {
    assert.equal(onlySyncGap(lagging), true);
    assert.equal(onlySyncGap(report()), false, 'in sync');
    assert.equal(onlySyncGap({...lagging, members: [member('zk-0', 'follower', {ready: false}), ...lagging.members.slice(1)]}), false, 'a member not Ready');
    assert.equal(onlySyncGap({...lagging, members: [member('zk-0', 'unreachable'), ...lagging.members.slice(1)]}), false, 'a member down');
    assert.equal(onlySyncGap({...lagging, quorum: {...lagging.quorum, has: false}}), false, 'no quorum');
  });

  it('a report without a sync gap is returned as it is, nothing read again', async () => {
    const t = fakeTime();
    let reads = 0;
    const down = report({members: [member('zk-0', 'unreachable'), member('zk-1', 'leader'), member('zk-2', 'follower')], sync: {followers: 1}});
    for (const r of [report(), down]) {
      assert.equal(await settleSyncGap(r, async () => (reads++, report()), t), r);
    }
    assert.equal(reads, 0);
    assert.deepEqual(t.slept, []);
  });

  it('a gap that closes: the first report in sync', async () => {
    const t = fakeTime();
    const answers = [lagging, report({sync: {followers: 1, pendingSyncs: 0}}), report()];
    let reads = 0;
    const got = await settleSyncGap(lagging, async () => answers[++reads]!, t);
    assert.equal(got, answers[2]);
    assert.equal(reads, 2);
  });

  it('a gap that lasts: the last report after SYNC_SETTLE_MS (then the command refuses it)', async () => {
    const t = fakeTime();
    const start = t.clock.now();
    let reads = 0;
    const last = report({sync: {followers: 1, pendingSyncs: 0}});
    const got = await settleSyncGap(lagging, async () => (reads++, last), t);
    assert.equal(got, last);
    assert.ok(reads > 1);
    assert.ok(t.clock.now() - start >= SYNC_SETTLE_MS);
  });

  it('another problem showing up ends the wait with that report', async () => {
    const t = fakeTime();
    const broken = report({members: [member('zk-0', 'unreachable'), member('zk-1', 'leader'), member('zk-2', 'follower')], sync: {followers: 1}});
    assert.equal(await settleSyncGap(lagging, async () => broken, t), broken);
  });

  it('Ctrl-C during the wait ends it', async () => {
    const t = fakeTime();
    const ac = new AbortController();
    t.onSleep(() => ac.abort());
    await assert.rejects(settleSyncGap(lagging, async () => lagging, {...t, signal: ac.signal}));
  });
});
