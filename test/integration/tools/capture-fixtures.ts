/**
 * Regenerate test/unit/zk/fixtures from a real ensemble (2 participants +
 * leader + 1 observer, Debian ZooKeeper 3.8.0):
 *   npx tsx test/integration/tools/capture-fixtures.ts
 */
import {writeFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {startEnsemble} from '../lib/ensemble.js';
import {adminCommand, fourLetterWord, readConfig} from '../../support/zk.js';

const out = resolve(import.meta.dirname, '../../unit/zk/fixtures');
const save = (name: string, text: string): void => writeFileSync(join(out, name), text);

const ens = await startEnsemble({size: 4, observers: 1});
try {
  const leader = await ens.leader();
  const follower = ens.servers.find((s) => s.role === 'participant' && s.id !== leader.id)!;
  const observer = ens.servers.find((s) => s.role === 'observer')!;
  for (const [role, s] of [
    ['leader', leader],
    ['follower', follower],
    ['observer', observer],
  ] as const) {
    for (const cmd of ['srvr', 'mntr', 'conf', 'ruok', 'isro']) save(`${cmd}-${role}.txt`, await fourLetterWord(s.endpoint, cmd));
  }
  save('stat-not-whitelisted.txt', await fourLetterWord(leader.endpoint, 'stat'));
  save('envi-not-whitelisted.txt', await fourLetterWord(leader.endpoint, 'envi'));
  save('zookeeper-config.txt', (await readConfig(ens.endpoints)).raw);
  save('dynamic-file-leader.txt', leader.dynamicConfigText());
  for (const cmd of ['leader', 'voting_view', 'zabstate', 'srvr', 'monitor']) {
    save(`admin-${cmd}-leader.json`, JSON.stringify(await adminCommand(leader.adminEndpoint, cmd), null, 2) + '\n');
  }
  // a member alone: kill the other participants, the survivor loses quorum
  const survivor = follower;
  for (const s of ens.servers) if (s !== survivor) s.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 4000));
  save('srvr-not-serving.txt', await fourLetterWord(survivor.endpoint, 'srvr'));
  save('mntr-not-serving.txt', await fourLetterWord(survivor.endpoint, 'mntr'));
  save('conf-not-serving.txt', await fourLetterWord(survivor.endpoint, 'conf'));
  save('isro-not-serving.txt', await fourLetterWord(survivor.endpoint, 'isro'));
  save('admin-leader-not-serving.json', JSON.stringify(await adminCommand(survivor.adminEndpoint, 'leader'), null, 2) + '\n');
} finally {
  await ens.stopAll();
}
