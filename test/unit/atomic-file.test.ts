import assert from 'node:assert/strict';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync} from 'node:fs';
import {open} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {SYNC_EVERY, openAtomic} from '../../src/util/atomic-file.js';

describe('openAtomic (util/atomic-file.ts)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kzk-atomic-'))));
  afterEach(() => rmSync(dir, {recursive: true, force: true}));

  it('commit: the whole file under its name, no .partial', async () => {
    const f = await openAtomic(join(dir, 'a'), {force: false});
    f.stream.write('hello ');
    f.stream.write('world');
    await f.commit();
    assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'hello world');
    assert.equal(existsSync(join(dir, 'a.partial')), false);
  });

  it('flushes to the disk in the background every SYNC_EVERY bytes while writing; commit and abort wait for a flush in flight', async () => {
    // FileHandle's datasync, counted (the same prototype as the handle openAtomic opens)
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as {datasync: () => Promise<void>};
    await probe.close();
    const real = proto.datasync;
    let flushes = 0;
    proto.datasync = function (this: unknown) {
      flushes++;
      return real.call(this);
    };
    try {
      const chunk = Buffer.alloc(1 << 20, 3);
      const f = await openAtomic(join(dir, 'big'), {force: false});
      for (let i = 0; i < (2 * SYNC_EVERY) / chunk.length + 1; i++) if (!f.stream.write(chunk)) await new Promise((r) => f.stream.once('drain', r));
      assert.ok(flushes >= 1, `${flushes} background flushes`);
      await f.commit();
      assert.equal(statSync(join(dir, 'big')).size, 2 * SYNC_EVERY + chunk.length);
      const g = await openAtomic(join(dir, 'cut'), {force: false});
      for (let i = 0; i < SYNC_EVERY / chunk.length; i++) g.stream.write(chunk); // the last write starts a flush
      await g.abort();
      assert.deepEqual(readdirSync(dir).sort(), ['big', 'probe']);
    } finally {
      proto.datasync = real;
    }
  });

  it('a full disk: the failed write is refused by commit (not thrown at nobody); abort leaves nothing', async function () {
    if (!existsSync('/dev/full')) this.skip();
    // FILE.partial opened through a link to /dev/full: every write fails with ENOSPC
    symlinkSync('/dev/full', join(dir, 'c.partial'));
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      const f = await openAtomic(join(dir, 'c'), {force: false});
      f.stream.write(Buffer.alloc(4096, 1));
      await new Promise((r) => setImmediate(r));
      await assert.rejects(f.commit(), /ENOSPC/);
      await f.abort();
      assert.deepEqual(uncaught, []);
      assert.equal(existsSync(join(dir, 'c')), false);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('abort while writes are in flight (Ctrl-C during a transfer): no crash, nothing left under either name', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      for (let round = 0; round < 20; round++) {
        const f = await openAtomic(join(dir, `b${round}`), {force: false});
        for (let i = 0; i < 8; i++) f.stream.write(Buffer.alloc(1 << 20, i));
        await f.abort();
        await f.abort(); // idempotent
        await new Promise((r) => setTimeout(r, 5));
        assert.equal(existsSync(join(dir, `b${round}`)), false);
        assert.equal(existsSync(join(dir, `b${round}.partial`)), false);
      }
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(uncaught, []);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
