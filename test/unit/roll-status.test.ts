/** `status` during and after a roll: each member's revision (and image when they differ), warnings on mixed revisions. */
import assert from 'node:assert/strict';
import {revisionWarnings, warningsFor, type MemberReport, type StatusReport} from '../../src/ops/status.js';
import {renderStatus} from '../../src/render/status.js';
import {noPaint} from '../../src/util/progress.js';

function report(revs: (string | undefined)[], update: string | undefined, images: string[] = revs.map(() => 'zookeeper:3.8.0')): StatusReport {
  const members: MemberReport[] = revs.map((rev, i) => ({
    pod: `zk-${i}`,
    serverId: i + 1,
    role: i === 1 ? 'leader' : 'follower',
    ready: true,
    restarts: 0,
    image: images[i],
    ...(rev ? {revision: rev} : {}),
  }));
  return {
    name: 'zk',
    namespace: 'ns',
    time: new Date(0).toISOString(),
    image: images[0],
    replicas: {desired: revs.length, ready: revs.length},
    quorum: {has: true, voters: revs.length, needed: 2, servingVoters: revs.length, tolerates: 1, leader: 'zk-1'},
    sync: {followers: revs.length - 1, pendingSyncs: 0},
    rollout: update || revs.some(Boolean) ? {updateRevision: update, updated: revs.filter((r) => r === update).length, pods: revs.length} : undefined,
    members,
    health: 'healthy',
    warnings: [],
    errors: [],
  };
}

describe('status: revisions (pure)', () => {
  it("no warning when every member runs the template's revision, or when nothing says (older API, fakes)", () => {
    assert.deepEqual(revisionWarnings(report(['zk-a', 'zk-a', 'zk-a'], 'zk-a')), []);
    assert.deepEqual(revisionWarnings(report([undefined, undefined, undefined], undefined)), []);
    assert.deepEqual(warningsFor(report(['zk-a', 'zk-a', 'zk-a'], 'zk-a')), []);
  });

  it('mixed revisions during a roll: which member runs which, and how to resume', () => {
    const w = revisionWarnings(report(['zk-a', 'zk-a', 'zk-b'], 'zk-b'));
    assert.deepEqual(w, ["mixed revisions: zk-0, zk-1 on zk-a; zk-2 on zk-b (the template's): a restart or upgrade is incomplete (kubectl zk restart zk -n ns resumes it)"]);
  });

  it('a template nobody runs yet (e.g. a kubectl rollout restart under OnDelete)', () => {
    assert.match(
      revisionWarnings(report(['zk-a', 'zk-a', 'zk-a'], 'zk-b'))[0]!,
      /^no member runs the StatefulSet's template \(revision zk-b; members on zk-a\): kubectl zk restart zk -n ns rolls it out/,
    );
  });

  it("the table shows each member's revision ((old) when it is not the template's), the header how many run it, IMAGE when images differ", () => {
    const r = report(['zk-a', 'zk-a', 'zk-b'], 'zk-b', ['zookeeper:3.8.0', 'zookeeper:3.8.0', 'zookeeper:3.9.4']);
    r.warnings = warningsFor(r);
    const text = renderStatus(r, noPaint);
    assert.match(text, /^ {2}Revision: {4}zk-b, 1\/3 members on it \(roll incomplete\)$/m);
    assert.match(text, /^POD .* AGE +REVISION +IMAGE$/m);
    assert.match(text, /^zk-0 .* a \(old\) +zookeeper:3\.8\.0$/m);
    assert.match(text, /^zk-2 .* b +zookeeper:3\.9\.4$/m);
    assert.match(text, /^warning: mixed images: zookeeper:3\.8\.0, zookeeper:3\.9\.4$/m);
    assert.match(text, /^warning: mixed revisions: /m);
    const done = renderStatus(report(['zk-b', 'zk-b', 'zk-b'], 'zk-b'), noPaint);
    assert.match(done, /^ {2}Revision: {4}zk-b, 3\/3 members on it$/m);
    assert.doesNotMatch(done, /IMAGE/);
    assert.match(renderStatus(report(['zk-b', 'zk-b', 'zk-b'], 'zk-b'), noPaint, true), /REVISION .* IMAGE$/m);
    assert.doesNotMatch(renderStatus(report([undefined, undefined, undefined], undefined), noPaint), /REVISION|Revision:/);
  });
});
