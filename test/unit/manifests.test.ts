import assert from 'node:assert/strict';
import {loadAssets} from '../../src/manifests/assets.js';
import {LABEL, instanceSelector, versionFromImage} from '../../src/manifests/labels.js';
import {DEFAULT_ZOOKEEPER_VERSION, validateEnsembleOptions, type EnsembleOptions} from '../../src/manifests/options.js';
import {bootstrapMembership, memberHost, renderEnsemble} from '../../src/manifests/render.js';
import {superDigest} from '../../src/zk/reconfig.js';
import type {KubeObject} from '../../src/kube/types.js';
import {matches} from '../support/fake-kube.js';

const assets = loadAssets();

function opts(over: Partial<Parameters<typeof validateEnsembleOptions>[0]> = {}): EnsembleOptions {
  return validateEnsembleOptions({name: 'zk', namespace: 'prod', ...over}).options;
}

function render(o = opts()): Record<string, any> {
  const objs = renderEnsemble(o, {superPassword: 'pw'}, assets);
  return Object.fromEntries(objs.map((x) => [x.kind, x]));
}

/** matchLabels → "k=v,..." so the same matcher as the fake API server's applies. */
function sel(matchLabels: Record<string, string>): string {
  return Object.entries(matchLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

describe('manifests', () => {
  it('renders the seven objects in apply order, all in the namespace, all labelled', () => {
    const objs = renderEnsemble(opts(), {superPassword: 'pw'}, assets);
    assert.deepEqual(
      objs.map((o) => `${o.kind}/${o.metadata.name}`),
      ['Secret/zk-auth', 'ConfigMap/zk-config', 'NetworkPolicy/zk', 'Service/zk-hs', 'Service/zk', 'PodDisruptionBudget/zk', 'StatefulSet/zk'],
    );
    for (const o of objs) {
      assert.equal(o.metadata.namespace, 'prod');
      assert.deepEqual(o.metadata.labels, {
        [LABEL.name]: 'zookeeper',
        [LABEL.instance]: 'zk',
        [LABEL.managedBy]: 'kubectl-zk',
        [LABEL.version]: DEFAULT_ZOOKEEPER_VERSION,
      });
      // teardown finds every object it must delete with the instance selector
      assert.ok(matches(o.metadata.labels!, instanceSelector('zk')), `${o.kind} not selected by teardown`);
    }
  });

  it('every selector matches the pod template labels (services, PDB, StatefulSet, anti-affinity, topology spread)', () => {
    const m = render();
    const [, , , headless, client] = renderEnsemble(opts(), {superPassword: 'pw'}, assets) as any[];
    const podLabels = m.StatefulSet.spec.template.metadata.labels;
    const selectors: [string, Record<string, string>][] = [
      ['StatefulSet', m.StatefulSet.spec.selector.matchLabels],
      ['headless Service', headless.spec.selector],
      ['client Service', client.spec.selector],
      ['PDB', m.PodDisruptionBudget.spec.selector.matchLabels],
      ['NetworkPolicy', m.NetworkPolicy.spec.podSelector.matchLabels],
      ['NetworkPolicy members rule', m.NetworkPolicy.spec.ingress[0].from[0].podSelector.matchLabels],
      ['anti-affinity per node', m.StatefulSet.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchLabels],
      ['anti-affinity per zone', m.StatefulSet.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].podAffinityTerm.labelSelector.matchLabels],
      ['topology spread', m.StatefulSet.spec.template.spec.topologySpreadConstraints[0].labelSelector.matchLabels],
    ];
    for (const [what, s] of selectors) {
      assert.ok(Object.keys(s).length >= 2, `${what} selector is empty or too wide: ${JSON.stringify(s)}`);
      assert.ok(matches(podLabels, sel(s)), `${what} selector ${JSON.stringify(s)} does not match pod labels`);
      // and does not match another ensemble's pods
      assert.ok(!matches({...podLabels, [LABEL.instance]: 'other'}, sel(s)), `${what} selector also matches ensemble "other"`);
    }
    // spreading is preferred per node and per zone (never required: docs/operations.md); zones get an anti-affinity term, which
    // weighs nothing where no node carries the label, not a spread constraint (one treats nodes without its key apart)
    const terms = m.StatefulSet.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution as {weight: number; podAffinityTerm: {topologyKey: string}}[];
    assert.deepEqual(
      terms.map((t) => [t.podAffinityTerm.topologyKey, t.weight]),
      [
        ['kubernetes.io/hostname', 100],
        ['topology.kubernetes.io/zone', 100],
      ],
    );
    assert.equal(m.StatefulSet.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution, undefined);
    assert.deepEqual(
      (m.StatefulSet.spec.template.spec.topologySpreadConstraints as {topologyKey: string; whenUnsatisfiable: string}[]).map((c) => [c.topologyKey, c.whenUnsatisfiable]),
      [['kubernetes.io/hostname', 'ScheduleAnyway']],
    );
  });

  it('selector labels do not include the version (selectors are immutable, versions change)', () => {
    const m = render();
    assert.ok(!(LABEL.version in m.StatefulSet.spec.selector.matchLabels));
  });

  it('StatefulSet: parallel start, OnDelete updates, non-root, no privilege escalation, all caps dropped, seccomp', () => {
    const sts = render().StatefulSet;
    assert.equal(sts.spec.podManagementPolicy, 'Parallel');
    assert.equal(sts.spec.updateStrategy.type, 'OnDelete');
    assert.equal(sts.spec.serviceName, 'zk-hs');
    assert.equal(sts.spec.replicas, 3);
    const pod = sts.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 1000);
    assert.equal(pod.securityContext.fsGroup, 1000);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.equal(pod.volumes.find((v: any) => v.name === 'scripts').configMap.defaultMode, 0o555);
    assert.equal(pod.shareProcessNamespace, true, 'the JVM must not be PID 1 (SIGKILL to PID 1 is ignored)');
    const c = pod.containers[0];
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
    assert.deepEqual(c.command, ['bash', '/opt/kubectl-zk/start.sh']);
    assert.deepEqual(c.readinessProbe.exec.command, ['bash', '/opt/kubectl-zk/ready.sh']);
    assert.deepEqual(c.livenessProbe.exec.command, ['bash', '/opt/kubectl-zk/live.sh']);
    assert.ok(c.livenessProbe.failureThreshold * c.livenessProbe.periodSeconds >= 60, 'liveness must outlast an election');
    // the startupProbe holds liveness off while a member loads data, waits for a leader or syncs; its budget covers several sync attempts (initLimit x tickTime each)
    assert.deepEqual(c.startupProbe.exec.command, ['bash', '/opt/kubectl-zk/live.sh', 'startup']);
    assert.ok(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds >= (10 * c.livenessProbe.failureThreshold * c.livenessProbe.periodSeconds) / 2, 'startup budget well beyond liveness');
    assert.ok(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds * 1000 >= 10 * 10 * 2000, 'at least ten sync attempts of initLimit x tickTime');
    assert.equal(c.livenessProbe.initialDelaySeconds, undefined, 'no guessed delay: the startupProbe gates liveness');
    // ownership: every object and the claim template carry the annotation teardown selects by
    for (const x of Object.values(render())) assert.equal(x.metadata.annotations?.['kubectl-zk.io/ensemble'], 'zk', `${x.kind} annotated`);
    assert.equal(sts.spec.volumeClaimTemplates[0].metadata.annotations['kubectl-zk.io/ensemble'], 'zk');
    assert.equal(c.resources.limits.memory, '1Gi');
    assert.equal(c.resources.limits.cpu, undefined, 'no CPU limit: throttling stalls heartbeats');
    assert.equal(c.env.find((e: any) => e.name === 'ZK_HEAP_MB').value, '512');
    assert.equal(c.env.find((e: any) => e.name === 'ZK_SUPER_DIGEST').valueFrom.secretKeyRef.name, 'zk-auth');
    assert.equal(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '1Gi');
    assert.equal(sts.spec.volumeClaimTemplates[0].spec.storageClassName, undefined);
    assert.ok(matches(sts.spec.volumeClaimTemplates[0].metadata.labels, instanceSelector('zk')), 'PVCs must carry the instance labels');
    assert.equal(c.imagePullPolicy, undefined);
  });

  it('pods: no service-account token, no AdminServer port, a named metrics port, the super digest only by Secret reference', () => {
    const sts = render().StatefulSet;
    const pod = sts.spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, false);
    const c = pod.containers[0];
    assert.deepEqual(
      c.ports.map((p: any) => [p.name, p.containerPort]),
      [
        ['client', 2181],
        ['quorum', 2888],
        ['election', 3888],
        ['metrics', 7000],
      ],
    );
    const text = JSON.stringify(sts);
    assert.ok(!text.includes(superDigest('super', 'pw')), 'the digest is not in the pod spec');
    assert.ok(!text.includes('"pw"'), 'the password is not in the pod spec');
  });

  it("zoo.cfg: the AdminServer listens on the pod's loopback only", () => {
    const cfg = render().ConfigMap.data['zoo.cfg'] as string;
    assert.match(cfg, /^admin\.serverAddress=127\.0\.0\.1$/m);
    assert.match(cfg, /^admin\.enableServer=true$/m);
  });

  it('zoo.cfg: the Prometheus metrics provider on port 7000', () => {
    const cfg = render().ConfigMap.data['zoo.cfg'] as string;
    assert.match(cfg, /^metricsProvider\.className=org\.apache\.zookeeper\.metrics\.prometheus\.PrometheusMetricsProvider$/m);
    assert.match(cfg, /^metricsProvider\.httpPort=7000$/m);
  });

  it('NetworkPolicy: quorum and election ports only from members; client and metrics ports from the pods of the namespace by default; nothing else', () => {
    const np = render().NetworkPolicy;
    assert.deepEqual(np.spec.policyTypes, ['Ingress']);
    assert.equal(np.spec.ingress.length, 3, 'no rule for the AdminServer or anything else');
    const [members, clients, backups] = np.spec.ingress;
    assert.deepEqual(members.ports, [
      {protocol: 'TCP', port: 2888},
      {protocol: 'TCP', port: 3888},
    ]);
    assert.deepEqual(members.from, [{podSelector: {matchLabels: {[LABEL.name]: 'zookeeper', [LABEL.instance]: 'zk'}}}]);
    assert.deepEqual(
      clients.ports,
      [
        {protocol: 'TCP', port: 2181},
        {protocol: 'TCP', port: 7000},
      ],
      'metrics from the same sources as the client port',
    );
    assert.deepEqual(clients.from, [{podSelector: {}}]);
    assert.deepEqual(
      backups,
      {
        from: [{podSelector: {matchLabels: {[LABEL.name]: 'zookeeper-backup', [LABEL.instance]: 'zk', [LABEL.managedBy]: 'kubectl-zk'}}}],
        ports: [{protocol: 'TCP', port: 2181}],
      },
      "the scheduled backup's pods, on the client port only",
    );
  });

  it('NetworkPolicy: --allow-clients-from sources become peers; all means no from at all', () => {
    const some = render(opts({allowClientsFrom: ['namespace=kafka', 'podSelector=app=billing,tier=web', 'namespaceSelector=team=data']})).NetworkPolicy;
    assert.deepEqual(some.spec.ingress[1].from, [
      {namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': 'kafka'}}},
      {podSelector: {matchLabels: {app: 'billing', tier: 'web'}}},
      {namespaceSelector: {matchLabels: {team: 'data'}}},
    ]);
    const all = render(opts({allowClientsFrom: ['all']})).NetworkPolicy;
    assert.ok(!('from' in all.spec.ingress[1]), 'a rule without from admits every source');
    assert.deepEqual(
      all.spec.ingress[0].ports.map((p: any) => p.port),
      [2888, 3888],
      'the member rule stays',
    );
  });

  it('headless Service publishes not-ready addresses and has the peer ports', () => {
    const hs = renderEnsemble(opts(), {superPassword: 'pw'}, assets)[3]! as any;
    assert.equal(hs.spec.clusterIP, 'None');
    assert.equal(hs.spec.publishNotReadyAddresses, true);
    assert.deepEqual(
      hs.spec.ports.map((p: any) => p.port),
      [2181, 2888, 3888],
    );
  });

  it('zoo.cfg enables reconfig, disables standalone, whitelists the 4lw we use, purges (spelled right), and never skips ACLs', () => {
    const cm = render().ConfigMap;
    const cfg: string = cm.data['zoo.cfg'];
    for (const line of [
      'reconfigEnabled=true',
      'standaloneEnabled=false',
      '4lw.commands.whitelist=srvr,mntr,ruok,conf,isro',
      'admin.enableServer=true',
      'admin.serverPort=8080',
      'autopurge.purgeInterval=1',
      'autopurge.snapRetainCount=3',
      'tickTime=2000',
      'initLimit=10',
      'syncLimit=5',
    ]) {
      assert.ok(cfg.split('\n').includes(line), `missing ${line}`);
    }
    assert.doesNotMatch(cfg, /purgeInteval/);
    assert.doesNotMatch(cfg, /\{\{/);
    const everything = JSON.stringify(renderEnsemble(opts(), {superPassword: 'pw'}, assets));
    assert.doesNotMatch(everything, /skipACL/i);
    assert.doesNotMatch(cfg, /^clientPort=/m, 'the client port belongs in the server lines');
  });

  it('bootstrap membership lists every member by its stable DNS name as participant', () => {
    const o = opts({replicas: 3});
    assert.equal(memberHost(o, 0), 'zk-0.zk-hs.prod.svc.cluster.local');
    assert.equal(
      bootstrapMembership(o),
      'server.1=zk-0.zk-hs.prod.svc.cluster.local:2888:3888:participant;2181\n' +
        'server.2=zk-1.zk-hs.prod.svc.cluster.local:2888:3888:participant;2181\n' +
        'server.3=zk-2.zk-hs.prod.svc.cluster.local:2888:3888:participant;2181\n',
    );
    assert.equal(render().ConfigMap.data['zoo.cfg.dynamic'], bootstrapMembership(o));
  });

  it('the Secret carries the password and the digest the servers check', () => {
    const s = render().Secret;
    assert.equal(s.stringData.password, 'pw');
    assert.equal(s.stringData.digest, superDigest('super', 'pw'));
    // ZooKeeper's DigestAuthenticationProvider: base64(sha1("super:pw")), as `printf super:pw | openssl sha1 -binary | base64` gives
    assert.equal(superDigest('super', 'pw'), 'super:0bX78nEegDzJM3ju0iLBEJdWzjg=');
  });

  it('--ephemeral swaps the claims for an emptyDir; --storage-class and pull policy are honoured', () => {
    const e = render(opts({ephemeral: true})).StatefulSet;
    assert.equal(e.spec.volumeClaimTemplates, undefined);
    assert.ok(e.spec.template.spec.volumes.some((v: any) => v.name === 'data' && v.emptyDir));
    const p = render(opts({storage: '10Gi', storageClass: 'fast', imagePullPolicy: 'Never'})).StatefulSet;
    assert.equal(p.spec.volumeClaimTemplates[0].spec.storageClassName, 'fast');
    assert.equal(p.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '10Gi');
    assert.equal(p.spec.template.spec.containers[0].imagePullPolicy, 'Never');
  });

  it('is pure: the same options give the same objects', () => {
    const a = renderEnsemble(opts(), {superPassword: 'x'}, assets);
    const b = renderEnsemble(opts(), {superPassword: 'x'}, assets);
    assert.deepEqual(a, b);
    (a[0] as KubeObject).metadata.name = 'changed';
    assert.notEqual((b[0] as KubeObject).metadata.name, 'changed');
  });

  it('takes the version label from the image tag only when it is a valid label value', () => {
    assert.equal(versionFromImage('zookeeper:3.9.4'), '3.9.4');
    assert.equal(versionFromImage('registry:5000/zk/zookeeper:3.8.0-debian'), '3.8.0-debian');
    assert.equal(versionFromImage('registry:5000/zookeeper'), undefined);
    assert.equal(versionFromImage('zookeeper@sha256:' + 'a'.repeat(64)), undefined);
  });
});
