import assert from 'node:assert/strict';
import {parseAllDocuments} from 'yaml';
import {oneErrorLine, refusingCli, type Cli} from '../support/cli.js';

/** Runs the built plugin exactly as kubectl would, no TTY, against an API server that refuses connections. */
let cli: Cli;
const zk = (args: string[], env: Record<string, string> = {}) => cli.run(args, {env});

describe('commands through oclif (the built executable)', function () {
  this.timeout(60_000);

  before(async () => {
    cli = await refusingCli();
  });

  it('--help names the commands as `kubectl zk …`', () => {
    const r = zk(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\$ kubectl zk \[COMMAND\]/);
    for (const c of ['create', 'teardown', 'list']) assert.match(r.stdout, new RegExp(`^  ${c}\\s`, 'm'));
    const c = zk(['create', '--help']);
    assert.match(c.stdout, /\$ kubectl zk create NAME/);
    assert.match(c.stdout, /-n, --namespace=<value>\s+Namespace/);
  });

  it('usage errors: exit 2, one `error:` line on stderr, nothing on stdout', () => {
    for (const args of [
      ['create'],
      ['create', 'Bad_Name', '--dry-run'],
      ['create', 'zk', '--replicas', '0', '--dry-run'],
      ['create', 'zk', '--bogus'],
      ['create', 'zk', '-o', 'wide', '--dry-run'],
      ['frobnicate'],
      ['create', 'zk', '--timeout', 'soon', '--dry-run'],
    ]) {
      const r = zk(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      oneErrorLine(r, args.join(' '));
    }
  });

  it('create --dry-run prints exactly the objects as YAML, in the context namespace, without contacting the cluster', () => {
    const r = zk(['create', 'zk', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as any);
    assert.deepEqual(
      docs.map((d) => `${d.kind}/${d.metadata.name}`),
      ['Secret/zk-auth', 'ConfigMap/zk-config', 'NetworkPolicy/zk', 'Service/zk-hs', 'Service/zk', 'PodDisruptionBudget/zk', 'StatefulSet/zk'],
    );
    assert.ok(docs.every((d) => d.metadata.namespace === 'team-a'));
    // --spread auto is decided against the nodes, which --dry-run does not count: it says what it shows
    assert.equal(
      r.stderr,
      'warning: spread node=preferred,zone=preferred: --dry-run contacts nothing, so the nodes were not counted: spreading is preferred (--spread auto requires it only where the nodes allow it)\n',
    );
    assert.equal(
      zk(['create', 'zk', '--dry-run', '--spread', 'required']).stderr,
      'warning: spread node=required,zone=preferred: --dry-run contacts nothing, so the nodes were not counted: zones unknown, spreading over zones is preferred\n',
    );
    assert.equal(zk(['create', 'zk', '--dry-run', '--spread', 'preferred']).stderr, '');
  });

  it("create --dry-run redacts the Secret's values unless --show-secrets", () => {
    const secretOf = (args: string[]) => {
      const r = zk(['create', 'zk', '--dry-run', '-o', 'json', ...args]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).items.find((o: any) => o.kind === 'Secret');
    };
    const redacted = secretOf([]);
    assert.deepEqual(Object.keys(redacted.stringData).sort(), ['digest', 'password', 'username']);
    assert.ok(
      Object.values(redacted.stringData).every((v) => /^<redacted/.test(v as string)),
      JSON.stringify(redacted),
    );
    const shown = secretOf(['--show-secrets']);
    assert.match(shown.stringData.password, /^[A-Za-z0-9_-]{32}$/);
    assert.match(shown.stringData.digest, /^super:[A-Za-z0-9+/]{27}=$/);
    const noDry = zk(['create', 'zk', '--show-secrets']);
    assert.equal(noDry.code, 2, noDry.stderr);
    assert.match(noDry.stderr, /dry-run/);
  });

  it('create --allow-clients-from: sources reach the NetworkPolicy; a malformed one exits 2 before anything else', () => {
    const r = zk(['create', 'zk', '--dry-run', '-o', 'json', '--allow-clients-from', 'namespace=kafka', '--allow-clients-from', 'podSelector=app=web']);
    assert.equal(r.code, 0, r.stderr);
    const np = JSON.parse(r.stdout).items.find((o: any) => o.kind === 'NetworkPolicy');
    assert.deepEqual(np.spec.ingress[1].from, [{namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': 'kafka'}}}, {podSelector: {matchLabels: {app: 'web'}}}]);
    const bad = zk(['create', 'zk', '--dry-run', '--allow-clients-from', 'podSelector=app']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: --allow-clients-from podSelector=app: "app" is not key=value/m);
    assert.equal(bad.stdout, '');
  });

  it('create --dry-run -o json prints a List; -n overrides the namespace; flags reach the objects', () => {
    const r = zk(['create', 'zk', '--dry-run', '-o', 'json', '-n', 'other', '--replicas', '5', '--memory', '512Mi', '--image', 'example/zk:1']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout);
    assert.equal(list.kind, 'List');
    const sts = list.items.find((o: any) => o.kind === 'StatefulSet');
    assert.equal(sts.metadata.namespace, 'other');
    assert.equal(sts.spec.replicas, 5);
    assert.equal(sts.spec.template.spec.containers[0].image, 'example/zk:1');
    assert.equal(sts.spec.template.spec.containers[0].env.find((e: any) => e.name === 'ZK_HEAP_MB').value, '256');
    assert.equal(zk(['create', 'zk', '--dry-run', '--json']).stdout.trimStart()[0], '{');
  });

  it('warnings go to stderr, data to stdout', () => {
    const r = zk(['create', 'zk', '--dry-run', '--replicas', '4']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /^warning: 4 voters/m);
    assert.doesNotMatch(r.stdout, /warning/);
  });

  it('an unreachable API server: exit 1, one line naming the server and the context', () => {
    const r = zk(['list', '--request-timeout', '10s']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) \(context "dev"; /);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
    const v = zk(['list', '--verbose']);
    assert.match(v.stderr, /\n\s+at /, '--verbose adds the stack trace');
    assert.match(v.stderr, /list statefulsets team-a/, '--verbose logs API requests');
  });

  it('--context picks another context; an unknown one is a usage error', () => {
    const r = zk(['list', '--context', 'nope']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: context "nope" not found in kubeconfig \(available: dev\)/);
  });
});
