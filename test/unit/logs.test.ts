import assert from 'node:assert/strict';
import {PassThrough, Readable} from 'node:stream';
import type {KubeObject, LogStreamOptions} from '../../src/kube/types.js';
import {ensembleLabels} from '../../src/manifests/labels.js';
import {Cursor, Reorder, mergeByTime, parseLogLine, printLogs, streamLines, type LogLine, type LogsDeps} from '../../src/ops/logs.js';
import {logLineJson, renderLogLine} from '../../src/render/logs.js';
import {noPaint} from '../../src/util/progress.js';
import {FakeKube, fakePod} from '../support/fake-kube.js';
import {fakeTime} from '../support/time.js';

/** fakeTime's sleep, but yielding to I/O (streams) first: the follow loops would otherwise spin in microtasks. */
function yieldingTime(start = 0): ReturnType<typeof fakeTime> {
  const t = fakeTime(start);
  return {
    ...t,
    sleep: async (ms, signal) => {
      await new Promise((r) => setImmediate(r));
      if (signal?.aborted) throw signal.reason;
      return t.sleep(ms, signal);
    },
  };
}

const line = (member: string, ordinal: number, time: string, text: string): LogLine => ({member, ordinal, ...parseLogLine(`${time} ${text}`)!});

describe('logs: lines and their times', () => {
  it("parses the kubelet's RFC3339Nano prefix; the key sorts although Go trims trailing zeros", () => {
    const a = parseLogLine('2026-12-03T14:20:00.1234Z x')!;
    const b = parseLogLine('2026-12-03T14:20:00.12345Z y')!;
    const c = parseLogLine('2026-12-03T14:20:00Z z')!;
    assert.deepEqual(a, {time: '2026-12-03T14:20:00.1234Z', key: '2026-12-03T14:20:00.123400000Z', text: 'x'});
    assert.ok(c.key < a.key && a.key < b.key);
    assert.equal(parseLogLine('2026-12-03T15:20:00.5+01:00 off')!.key, '2026-12-03T14:20:00.500000000Z');
    assert.equal(parseLogLine('no timestamp here'), undefined);
    assert.equal(parseLogLine('2026-12-03T14:20:00Z ')!.text, '');
  });

  it('merges by time, stable, members in ordinal order at the same instant', () => {
    const merged = mergeByTime([
      line('zk-1', 1, '2026-01-01T00:00:02Z', 'b'),
      line('zk-0', 0, '2026-01-01T00:00:01Z', 'a'),
      line('zk-1', 1, '2026-01-01T00:00:03Z', 'd'),
      line('zk-0', 0, '2026-01-01T00:00:03Z', 'c'),
    ]);
    assert.deepEqual(
      merged.map((l) => l.text),
      ['a', 'b', 'c', 'd'],
    );
  });

  it('splits a stream into lines across chunk boundaries (CRLF too, a last line without newline)', async () => {
    const out: string[] = [];
    for await (const l of streamLines(Readable.from([Buffer.from('one\ntw'), Buffer.from('o\r\nthr'), Buffer.from('ee')]))) out.push(l);
    assert.deepEqual(out, ['one', 'two', 'three']);
  });

  it('a cursor skips what was printed: older lines, and repeats at the same instant', () => {
    const cur = new Cursor();
    const p = (t: string, x: string) => parseLogLine(`${t} ${x}`)!;
    assert.ok(cur.accept(p('2026-01-01T00:00:01.5Z', 'a')));
    assert.ok(cur.accept(p('2026-01-01T00:00:02Z', 'b')));
    assert.ok(cur.accept(p('2026-01-01T00:00:02Z', 'b2')));
    assert.equal(cur.time, '2026-01-01T00:00:02Z');
    // a re-read from the whole second (sinceTime has second precision)
    assert.ok(!cur.accept(p('2026-01-01T00:00:01.5Z', 'a')));
    assert.ok(!cur.accept(p('2026-01-01T00:00:02Z', 'b')));
    assert.ok(cur.accept(p('2026-01-01T00:00:03Z', 'c')));
  });

  it('the reorder window lets lines out in time order once they have waited', () => {
    const t = fakeTime(0);
    const out: string[] = [];
    const r = new Reorder(100, t.clock, (l) => out.push(l.text));
    r.push(line('zk-1', 1, '2026-01-01T00:00:02Z', 'late-but-earlier-second'));
    r.push(line('zk-0', 0, '2026-01-01T00:00:01Z', 'first'));
    assert.equal(r.flush(), 0, 'nothing has waited yet');
    void t.sleep(100);
    r.push(line('zk-0', 0, '2026-01-01T00:00:03Z', 'young'));
    assert.equal(r.flush(), 2);
    assert.deepEqual(out, ['first', 'late-but-earlier-second']);
    assert.equal(r.flush(true), 1);
    assert.deepEqual(out, ['first', 'late-but-earlier-second', 'young']);
  });

  it('renders member and role, with the time on request; JSON lines', () => {
    const l = {...line('zk-0', 0, '2026-01-01T00:00:01Z', 'hello'), role: 'leader'};
    assert.equal(renderLogLine(l, noPaint, {timestamps: false, memberWidth: 6}), 'zk-0   leader   | hello\n');
    assert.equal(renderLogLine({...l, role: undefined}, noPaint, {timestamps: true, memberWidth: 4}), '2026-01-01T00:00:01Z zk-0 down     | hello\n');
    assert.deepEqual(JSON.parse(logLineJson(l)), {time: '2026-01-01T00:00:01Z', member: 'zk-0', role: 'leader', text: 'hello'});
  });
});

function seedPods(kube: FakeKube, n: number): void {
  kube.seed({apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name: 'zk', namespace: 'ns'}, spec: {replicas: n}} as KubeObject);
  for (let i = 0; i < n; i++) {
    const p = fakePod('ns', `zk-${i}`, ensembleLabels('zk', 'zookeeper:3.9.5'), 'ready');
    p.metadata.uid = `uid-${i}`;
    (p['status'] as {containerStatuses: {containerID?: string}[]}).containerStatuses[0]!.containerID = `c-${i}-1`;
    kube.seed(p);
  }
}

describe('logs: the op against a fake API server', () => {
  it('once: every member read with timestamps, --tail and --since passed, lines merged by time with roles', async () => {
    const kube = new FakeKube('ns');
    seedPods(kube, 2);
    const asked: LogStreamOptions[] = [];
    kube.logSource = (pod, opts) => {
      asked.push(opts);
      return pod === 'zk-0' ? '2026-01-01T00:00:01Z a\n2026-01-01T00:00:03Z c\n' : '2026-01-01T00:00:02Z b\nnot a log line\n';
    };
    const out: LogLine[] = [];
    const t = fakeTime();
    await assert.rejects(
      printLogs({name: 'nope', namespace: 'ns', follow: false}, {kube, clock: fakeTime().clock, sleep: fakeTime().sleep, roles: async () => new Map(), emit: () => undefined}),
      /ensemble "nope" not found/,
    );
    const r = await printLogs(
      {name: 'zk', namespace: 'ns', follow: false, tailLines: 10, sinceSeconds: 60},
      {kube, clock: t.clock, sleep: t.sleep, roles: async () => new Map([['zk-0', 'leader']]), emit: (l) => out.push(l)},
    );
    assert.deepEqual(
      out.map((l) => `${l.member}/${l.role}: ${l.text}`),
      ['zk-0/leader: a', 'zk-1/down: b', 'zk-0/leader: c'],
    );
    assert.equal(r.lines, 3);
    assert.ok(asked.every((o) => o.timestamps && o.tailLines === 10 && o.sinceSeconds === 60 && !o.follow && o.container === 'zookeeper'));
  });

  it("follow: a restarted container is followed after the old one's last lines, from the last line printed; a replaced pod too", async () => {
    const kube = new FakeKube('ns');
    seedPods(kube, 1);
    const t = yieldingTime(0);
    const asked: string[] = [];
    const setContainer = (uid: string, id: string) => {
      const p = kube.all('Pod')[0]!;
      p.metadata.uid = uid;
      (p['status'] as {containerStatuses: {containerID?: string}[]}).containerStatuses[0]!.containerID = id;
    };
    let round = 0;
    kube.logSource = (_pod, opts) => {
      asked.push(`${opts.previous ? 'previous' : 'current'} ${opts.sinceTime ?? 'start'}`);
      round++;
      if (round === 1) {
        setContainer('uid-0', 'c-0-2'); // the container restarts while its first log is read
        return '2026-01-01T00:00:01Z first\n2026-01-01T00:00:02Z old-last\n';
      }
      if (round === 2) return '2026-01-01T00:00:02Z old-last\n2026-01-01T00:00:02.5Z old-tail\n'; // previous, from the second
      if (round === 3) {
        setContainer('uid-1', 'c-1-1'); // then the pod is replaced
        return '2026-01-01T00:00:02.5Z old-tail\n2026-01-01T00:00:04Z second-container\n';
      }
      return '2026-01-01T00:00:05Z new-pod\n';
    };
    const ac = new AbortController();
    t.onSleep(() => {
      if (round >= 4) ac.abort();
    });
    const out: string[] = [];
    const deps: LogsDeps = {
      kube,
      clock: t.clock,
      sleep: t.sleep,
      signal: ac.signal,
      roles: async () => new Map([['zk-0', 'follower']]),
      emit: (l) => out.push(l.text),
      windowMs: 50,
      retryMs: 100,
      rolesEveryMs: 1000,
    };
    const r = await printLogs({name: 'zk', namespace: 'ns', follow: true}, deps);
    assert.deepEqual(out, ['first', 'old-last', 'old-tail', 'second-container', 'new-pod']);
    assert.deepEqual(asked, ['current start', 'previous 2026-01-01T00:00:02Z', 'current 2026-01-01T00:00:02.5Z', 'current 2026-01-01T00:00:04Z']);
    assert.equal(r.switches, 2);
    assert.equal(r.lines, 5);
  });

  it('follow: a member without a container yet is waited for; an ensemble that does not exist is one error', async () => {
    const kube = new FakeKube('ns');
    const t = yieldingTime(0);
    await assert.rejects(
      printLogs({name: 'zk', namespace: 'ns', follow: true}, {kube, clock: t.clock, sleep: t.sleep, roles: async () => new Map(), emit: () => undefined}),
      /ensemble "zk" not found in namespace "ns"/,
    );
    seedPods(kube, 1);
    (kube.all('Pod')[0]!['status'] as {containerStatuses: unknown[]}).containerStatuses = [];
    const ac = new AbortController();
    let sleeps = 0;
    t.onSleep(() => {
      if (++sleeps === 20) ac.abort();
    });
    const stream = new PassThrough();
    kube.logSource = () => stream;
    const r = await printLogs(
      {name: 'zk', namespace: 'ns', follow: true},
      {kube, clock: t.clock, sleep: t.sleep, signal: ac.signal, roles: async () => new Map(), emit: () => undefined, retryMs: 100},
    );
    assert.equal(r.lines, 0);
    assert.ok(!kube.calls.includes('logs Pod/zk-0'), 'no log asked of a pod without a container');
  });
});
