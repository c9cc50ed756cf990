import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {CliError, UsageError} from '../../src/errors.js';
import {loadAssets} from '../../src/manifests/assets.js';
import {backupPodLabels, checkSchedule, renderBackupSchedule} from '../../src/manifests/backup.js';
import {describeClientPeers} from '../../src/manifests/network.js';
import {ensembleLabels, instanceSelector, selectorLabels} from '../../src/manifests/labels.js';
import {renderNetworkPolicy} from '../../src/manifests/render.js';
import {scheduleBackup, unscheduleBackup} from '../../src/ops/backup-schedule.js';
import {FakeKube, matches} from '../support/fake-kube.js';

const assets = loadAssets();
const IMAGE = 'docker.io/library/zookeeper:3.9.5';
const sts = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: {name: 'zk', namespace: 'ns', labels: ensembleLabels('zk', IMAGE)},
  spec: {template: {spec: {containers: [{name: 'zookeeper', image: IMAGE}]}}},
};
const pvc = {apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {name: 'backups', namespace: 'ns'}};
const oldPolicy = () => {
  const p = renderNetworkPolicy({name: 'zk', namespace: 'ns', image: IMAGE, clientSources: [{kind: 'namespace', namespace: 'apps'}]}, assets) as any;
  p.spec.ingress.pop(); // as made before the backup rule existed
  return p;
};
const req = {name: 'zk', namespace: 'ns', schedule: '0 3 * * *', pvc: 'backups', keep: 3, dryRun: false};

describe('scheduled backup: manifests', () => {
  it('cron schedules: five fields, ranges, steps, lists, names, macros; anything else is a usage error', () => {
    for (const ok of ['0 3 * * *', '*/5 * * * *', '0 0-6/2 1,15 * mon-fri', '0 3 * jan sun', '@daily', '0 3 ? * *']) assert.equal(typeof checkSchedule(ok), 'string', ok);
    for (const bad of ['', '0 3 * *', '0 3 * * * *', 'every day', '0 3 * * x!', '@sometimes']) assert.throws(() => checkSchedule(bad), UsageError, bad);
  });

  it("the CronJob runs the program from the ConfigMap in the ensemble's image, as the super user from the Secret, into the PVC", () => {
    const [cm, cron] = renderBackupSchedule({name: 'zk', namespace: 'ns', image: IMAGE, schedule: '0 3 * * *', pvc: 'backups', keep: 5}, assets) as any[];
    assert.equal(cm.kind, 'ConfigMap');
    assert.equal(cm.metadata.name, 'zk-backup');
    assert.equal(cm.binaryData['backup.jar'], assets['backup/backup.jar']);
    assert.deepEqual(Buffer.from(cm.binaryData['backup.jar'], 'base64'), readFileSync(new URL('../../manifests/backup/backup.jar', import.meta.url)));
    assert.equal(cm.data['logback.xml'], assets['backup/logback.xml']);
    assert.equal(cron.kind, 'CronJob');
    assert.equal(cron.metadata.name, 'zk-backup');
    assert.ok(matches(cron.metadata.labels, instanceSelector('zk')) && matches(cm.metadata.labels, instanceSelector('zk')), 'teardown finds both by the instance selector');
    assert.equal(cron.spec.schedule, '0 3 * * *');
    assert.equal(cron.spec.concurrencyPolicy, 'Forbid');
    const pod = cron.spec.jobTemplate.spec.template;
    assert.deepEqual(pod.metadata.labels, backupPodLabels('zk'));
    assert.ok(
      !matches(
        pod.metadata.labels,
        Object.entries(selectorLabels('zk'))
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      ),
      'no member selector (StatefulSet, Services, PDB) picks a backup pod',
    );
    const c = pod.spec.containers[0];
    assert.equal(c.image, IMAGE);
    assert.match(c.command[2], /exec java .*-cp "\/opt\/kzk-backup\/backup\.jar:\$lib\/\*" Backup$/);
    assert.doesNotMatch(c.command[2], /\.java\b/, 'no source launcher: the image needs no jdk.compiler');
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    assert.equal(env.ZK_SERVER, 'zk:2181');
    assert.deepEqual(env.ZK_PASSWORD, {secretKeyRef: {name: 'zk-auth', key: 'password'}});
    assert.equal(env.BACKUP_KEEP, '5');
    assert.equal(env.BACKUP_DIR, '/backup');
    assert.deepEqual(pod.spec.volumes[0], {name: 'backup', persistentVolumeClaim: {claimName: 'backups'}});
    assert.deepEqual(pod.spec.volumes[1], {name: 'program', configMap: {name: 'zk-backup'}});
  });

  it('the NetworkPolicy admits the backup pods on the client port only, and status does not list them as a client source', () => {
    const p = renderNetworkPolicy({name: 'zk', namespace: 'ns', image: IMAGE, clientSources: [{kind: 'namespace', namespace: 'apps'}]}, assets) as any;
    const rule = p.spec.ingress.at(-1);
    assert.deepEqual(rule.from, [{podSelector: {matchLabels: backupPodLabels('zk')}}]);
    assert.deepEqual(rule.ports, [{protocol: 'TCP', port: 2181}]);
    assert.deepEqual(describeClientPeers(p, 2181), ['namespace=apps']);
  });
});

describe('scheduled backup: ops against a fake API server', () => {
  it('schedules: the policy of an older ensemble gets the rule before the CronJob exists; a second run changes no policy', async () => {
    const kube = new FakeKube('ns').seed(sts, pvc, oldPolicy());
    const r = await scheduleBackup(req, {kube, assets});
    assert.equal(r.networkPolicy, 'rule added');
    assert.equal(r.image, IMAGE);
    const patch = kube.calls.indexOf('patch NetworkPolicy/zk');
    assert.ok(patch >= 0 && patch < kube.calls.indexOf('apply CronJob/zk-backup'), kube.calls.join(', '));
    const policy = (await kube.get({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: 'ns', name: 'zk'})) as any;
    assert.equal(policy.spec.ingress.length, 3);
    const again = await scheduleBackup({...req, keep: 4}, {kube, assets});
    assert.equal(again.networkPolicy, 'had the rule');
    assert.equal(kube.calls.filter((c) => c === 'patch NetworkPolicy/zk').length, 1);
    const cron = (await kube.get({apiVersion: 'batch/v1', kind: 'CronJob', namespace: 'ns', name: 'zk-backup'})) as any;
    assert.equal(cron.spec.jobTemplate.spec.template.spec.containers[0].env.find((e: any) => e.name === 'BACKUP_KEEP').value, '4');
  });

  it('an ensemble made with --tls: the CronJob speaks TLS to the secure port with NAME-tls-client, the rule admits 2281', async () => {
    const tlsSts = structuredClone(sts) as any;
    tlsSts.spec.template.spec.containers[0].ports = [{name: 'secure-client', containerPort: 2281}];
    const kube = new FakeKube('ns').seed(tlsSts, pvc, oldPolicy());
    const r = await scheduleBackup(req, {kube, assets});
    assert.equal(r.networkPolicy, 'rule added');
    const policy = (await kube.get({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: 'ns', name: 'zk'})) as any;
    assert.deepEqual(policy.spec.ingress.at(-1).ports, [{protocol: 'TCP', port: 2281}]);
    const cron = (await kube.get({apiVersion: 'batch/v1', kind: 'CronJob', namespace: 'ns', name: 'zk-backup'})) as any;
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const c = pod.containers[0];
    assert.equal(c.env.find((e: any) => e.name === 'ZK_SERVER').value, 'zk:2281');
    assert.match(c.command[2], /^mkdir -p \/tmp\/kzk && cat \/tls-client\/tls\.key \/tls-client\/tls\.crt > \/tmp\/kzk\/client\.pem && lib=/);
    assert.match(c.command[2], /exec java -Dzookeeper\.client\.secure=true .*-Dzookeeper\.ssl\.trustStore\.location=\/tls-client\/ca\.crt .*Backup$/);
    assert.deepEqual(
      pod.volumes.find((v: any) => v.name === 'client-cert'),
      {name: 'client-cert', secret: {secretName: 'zk-tls-client', defaultMode: 0o440}},
    );
    const plain = renderBackupSchedule({name: 'zk', namespace: 'ns', image: IMAGE, schedule: '0 3 * * *', pvc: 'backups', keep: 5}, assets) as any[];
    assert.doesNotMatch(JSON.stringify(plain[1]), /tls|2281/, 'a plaintext ensemble: unchanged');
  });

  it('--dry-run returns the objects and writes nothing', async () => {
    const kube = new FakeKube('ns').seed(sts, pvc, oldPolicy());
    const r = await scheduleBackup({...req, dryRun: true}, {kube, assets});
    assert.deepEqual(
      r.objects?.map((o) => `${o.kind}/${o.metadata.name}`),
      ['ConfigMap/zk-backup', 'CronJob/zk-backup'],
    );
    assert.ok(!kube.calls.some((c) => c.startsWith('apply') || c.startsWith('patch')), kube.calls.join(', '));
  });

  it('refuses a missing PVC, a missing ensemble and bad flags, with nothing changed', async () => {
    const kube = new FakeKube('ns').seed(sts, oldPolicy());
    await assert.rejects(scheduleBackup(req, {kube, assets}), (e: unknown) => e instanceof CliError && /PersistentVolumeClaim "backups" not found/.test(e.message));
    await assert.rejects(scheduleBackup({...req, name: 'other'}, {kube, assets}), (e: unknown) => e instanceof CliError && /ensemble "other" not found/.test(e.message));
    await assert.rejects(scheduleBackup({...req, keep: 0}, {kube, assets}), UsageError);
    await assert.rejects(scheduleBackup({...req, schedule: 'daily'}, {kube, assets}), UsageError);
    await assert.rejects(scheduleBackup({...req, pvc: 'Bad_Name'}, {kube, assets}), UsageError);
    assert.ok(!kube.calls.some((c) => c.startsWith('apply') || c.startsWith('patch')), kube.calls.join(', '));
  });

  it('unschedules what is there and ours (idempotent); an object of the same name not made by kubectl-zk stays', async () => {
    const kube = new FakeKube('ns').seed(sts, pvc, oldPolicy());
    await scheduleBackup(req, {kube, assets});
    assert.deepEqual((await unscheduleBackup({name: 'zk', namespace: 'ns', dryRun: true}, {kube})).removed, ['CronJob/zk-backup', 'ConfigMap/zk-backup']);
    assert.equal(kube.all('CronJob').length, 1, 'a dry run deletes nothing');
    assert.deepEqual((await unscheduleBackup({name: 'zk', namespace: 'ns', dryRun: false}, {kube})).removed, ['CronJob/zk-backup', 'ConfigMap/zk-backup']);
    assert.deepEqual((await unscheduleBackup({name: 'zk', namespace: 'ns', dryRun: false}, {kube})).removed, []);
    kube.seed({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'zk-backup', namespace: 'ns', labels: {app: 'theirs'}}});
    assert.deepEqual((await unscheduleBackup({name: 'zk', namespace: 'ns', dryRun: false}, {kube})).removed, []);
    assert.equal(kube.all('ConfigMap').length, 1);
  });
});
