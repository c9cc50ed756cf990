/**
 * `status` on a member held down by its node, on the real cluster: the node
 * holding member 1 is cordoned and member 1's pod deleted, so the new pod
 * stays Pending on its volume (local-path pins it to that node); status says
 * so, with what to do, and exits 3 (degraded). Uncordoning brings the member
 * back with its data. Cordoning changes the cluster: run under the EXCLUSIVE
 * lock; after() uncordons whatever happens.
 */
import assert from 'node:assert/strict';
import {createNamespace, deleteNamespace, dumpDiagnostics, useCluster} from './lib/cluster.js';
import {createEnsemble, kubectl, kubectlJson, kzk, statusJson, waitFor} from './lib/zk.js';

useCluster();

describe('e2e: status diagnoses a member stuck on its node (cordon; exclusive lock)', function () {
  this.timeout(900_000);
  let ns: string;
  let cordoned: string | undefined;
  const NAME = 'zkp';

  before(async () => {
    ns = await createNamespace('kzk-e2e-place');
    await createEnsemble(ns, NAME, 3);
    await kzk(['znode', 'create', '/kept', 'on-the-volume', '--ensemble', NAME, '-n', ns]);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    if (cordoned) await kubectl(['uncordon', cordoned], {allowFail: true});
    if (ns) await deleteNamespace(ns);
  });

  it('Pending on a volume pinned to a cordoned node: a warning with what to do, exit 3; uncordon brings it back with its data', async () => {
    const pod = `${NAME}-1`;
    const node = (await kubectlJson<{spec: {nodeName: string}}>(['get', 'pod', pod, '-n', ns])).spec.nodeName;
    cordoned = node;
    await kubectl(['cordon', node]);
    await kubectl(['delete', 'pod', pod, '-n', ns, '--wait=true']);
    await waitFor(
      `${pod} Pending on its volume`,
      async () => {
        const p = await kubectlJson<{status: {phase: string; conditions?: {type: string; status: string; message?: string}[]}}>(['get', 'pod', pod, '-n', ns], {allowFail: true}).catch(() => null);
        return p?.status.phase === 'Pending' && p.status.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False');
      },
      {timeoutMs: 120_000, intervalMs: 1000},
    );
    const human = await kzk(['status', NAME, '-n', ns]);
    assert.equal(human.code, 3, human.stdout + human.stderr);
    assert.match(human.stdout, new RegExp(`${pod} is stuck Pending: its volume is bound to node ${node}, which is cordoned`));
    assert.match(human.stdout, new RegExp(`kubectl uncordon ${node}`));
    assert.match(human.stdout, /remove server\.2 from the voting config, delete PVC data-zkp-1/);
    const json = await statusJson(ns, NAME);
    assert.deepEqual(json.placement, [json.placement[0]]);
    assert.equal(json.placement[0].pod, pod);
    assert.equal(json.placement[0].node, node);
    assert.equal(json.placement[0].state, 'cordoned');
    assert.equal(json.placement[0].via, 'volume');

    await kubectl(['uncordon', node]);
    cordoned = undefined;
    await waitFor('healthy again', async () => (await statusJson(ns, NAME)).health === 'healthy', {timeoutMs: 240_000, intervalMs: 2000});
    const after = await statusJson(ns, NAME);
    assert.equal(after.placement, undefined);
    assert.equal(after.members.find((m: {pod: string}) => m.pod === pod).node, node, 'back on its node, with its volume');
    const got = await kzk(['znode', 'get', '/kept', '--ensemble', NAME, '-n', ns]);
    assert.equal(got.stdout, 'on-the-volume');
  });
});
