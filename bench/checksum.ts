/**
 * The per-znode digest of the tree checksum (backup, export, restore's check): the current
 * znodeDigestBase64 (one-shot hash()) vs the earlier Hash object fed in three parts, the same
 * bytes, alternated in one run; prints ms per 100,000 znodes of 1 KiB and the ratio. Not a test.
 * Run: npx tsx bench/checksum.ts   (BENCH_ZNODES, BENCH_ROUNDS)
 */
import {createHash} from 'node:crypto';
import {znodeDigestBase64} from '../src/ops/treefile.js';
import type {Acl} from '../src/zk/client.js';

const N = Number(process.env.BENCH_ZNODES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const acl: Acl[] = [{scheme: 'world', id: 'anyone', perms: 31}];
const b64 = Buffer.alloc(1024, 97).toString('base64');

function threeParts(rel: string, base64: string): bigint {
  const h = createHash('sha256');
  h.update(`[${JSON.stringify(rel)},"`);
  h.update(base64, 'latin1');
  h.update(`",${JSON.stringify(['world:anyone:31'])}]`);
  return BigInt(`0x${h.digest('hex')}`);
}

function time(f: (rel: string) => bigint): {ms: number; sum: bigint} {
  let sum = 0n;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) sum += f(`/b/d${i % 317}/n${i}`);
  return {ms: performance.now() - t0, sum};
}

const ratios: number[] = [];
for (let r = 1; r <= ROUNDS; r++) {
  const old = time((rel) => threeParts(rel, b64));
  const now = time((rel) => znodeDigestBase64(rel, b64, acl));
  if (old.sum !== now.sum) throw new Error('the two digests differ');
  ratios.push(old.ms / now.ms);
  console.log(`[bench] round ${r}: ${N} znodes: three-part Hash ${old.ms.toFixed(0)} ms, one-shot hash() ${now.ms.toFixed(0)} ms = ${(old.ms / now.ms).toFixed(2)}x faster`);
}
ratios.sort((a, b) => a - b);
console.log(`[bench] median ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)}x (${process.versions['bun'] ? `bun ${process.versions['bun']}` : `node ${process.version}`})`);
