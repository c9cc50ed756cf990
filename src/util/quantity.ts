import {UsageError} from '../errors.js';

const BINARY: Record<string, number> = {Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60};
const DECIMAL: Record<string, number> = {'': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, m: 1e-3};

/** Parses a Kubernetes resource quantity ("512Mi", "1G", "250m", "0.5") into its numeric value (bytes, cores). */
export function parseQuantity(text: string, flag: string): number {
  const m = /^([+]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m))?$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid quantity "${text}" for --${flag}`, 'use a Kubernetes quantity such as 512Mi, 2Gi or 500m');
  const n = Number(m[1]);
  if (m[2]) return n * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  return n * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

/** JVM heap: "256m", "1g" (JVM style) or a quantity ("256Mi"); returns MiB. */
export function parseHeapMb(text: string): number {
  const jvm = /^(\d+)([kKmMgG])$/.exec(text.trim());
  let mb: number;
  if (jvm) {
    const n = Number(jvm[1]);
    const unit = jvm[2]!.toLowerCase();
    mb = unit === 'k' ? n / 1024 : unit === 'm' ? n : n * 1024;
  } else {
    mb = parseQuantity(text, 'heap') / 2 ** 20;
  }
  if (!Number.isFinite(mb) || mb < 32) throw new UsageError(`--heap ${text} is too small`, 'ZooKeeper needs at least 32m of heap');
  return Math.floor(mb);
}
