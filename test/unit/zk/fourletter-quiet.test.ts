/**
 * fourLetterWord's quiet period (mntr, conf: replies with no end marker)
 * against an in-process server that sends a reply in two parts with a pause
 * between them longer than the quiet period, as a 3.9 mntr (more than one
 * 16 KiB TLS record) arrives through the TLS endpoint and a port-forward: the
 * first part ends mid-line, and the reply read is the whole one. Real sockets.
 */
import {strict as assert} from 'node:assert';
import {createServer, type AddressInfo, type Server} from 'node:net';
import {fourLetterWord} from '../../support/zk.js';

describe('fourLetterWord: a quiet pause mid-line is not the end of the reply', () => {
  let server: Server;
  let port: number;
  const lines = Array.from({length: 400}, (_, i) => `zk_metric_${i}\t${i}.0`);
  lines.splice(243, 0, 'zk_synced_followers\t2.0');
  const reply = `${lines.join('\n')}\n`;
  let cut = 0;
  before(async () => {
    server = createServer((s) => {
      s.once('data', () => {
        s.write(reply.slice(0, cut));
        setTimeout(() => s.write(reply.slice(cut), () => setTimeout(() => s.end(), 1000)), 300); // the close comes late, as through a port-forward
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('the first part ends mid-line (a TLS record boundary): the whole reply, before the late close', async () => {
    cut = reply.indexOf('zk_synced_followers') + 5;
    const t0 = performance.now();
    const got = await fourLetterWord({host: '127.0.0.1', port}, 'mntr', {timeoutMs: 5000, quietMs: 100});
    assert.equal(got, reply);
    assert.ok(performance.now() - t0 < 1200, 'ended by the quiet period after the last line, not by the close');
  });

  it('a reply whose part ends a line is taken at the quiet period (what the period is for)', async () => {
    cut = reply.length; // all in one part; the second write is empty
    const got = await fourLetterWord({host: '127.0.0.1', port}, 'mntr', {timeoutMs: 5000, quietMs: 100});
    assert.equal(got, reply);
  });
});
