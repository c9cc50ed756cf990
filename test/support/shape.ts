import type {Shape} from '../../scripts/output-schema.js';

/** Where `value` (parsed JSON) differs from `shape` (scripts/output-schema.ts): paths with what was expected; [] when it conforms. */
export function conforms(value: unknown, shape: Shape, path = '$'): string[] {
  if (typeof shape === 'string') return scalar(value, shape) ? [] : [`${path}: ${JSON.stringify(value)?.slice(0, 60)} is not ${shape}`];
  if ('anyOf' in shape && Array.isArray(shape.anyOf)) {
    const tries = (shape.anyOf as Shape[]).map((s) => conforms(value, s, path));
    return tries.some((t) => t.length === 0) ? [] : tries.sort((a, b) => a.length - b.length)[0]!;
  }
  if ('array' in shape && typeof shape.array !== 'undefined' && Object.keys(shape).length === 1) {
    if (!Array.isArray(value)) return [`${path}: not an array`];
    return value.flatMap((v, i) => conforms(v, shape.array as Shape, `${path}[${i}]`));
  }
  if ('tuple' in shape && Array.isArray(shape.tuple)) {
    if (!Array.isArray(value) || value.length !== shape.tuple.length) return [`${path}: not a ${shape.tuple.length}-tuple`];
    return value.flatMap((v, i) => conforms(v, (shape.tuple as Shape[])[i]!, `${path}[${i}]`));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: not an object`];
  const obj = value as Record<string, unknown>;
  const index = Object.entries(shape).find(([k]) => k.startsWith('[key: '))?.[1];
  const out: string[] = [];
  const known = new Set<string>();
  for (const [k, s] of Object.entries(shape)) {
    if (k.startsWith('[key: ')) continue;
    const optional = k.endsWith('?');
    const key = optional ? k.slice(0, -1) : k;
    known.add(key);
    if (!(key in obj)) {
      if (!optional) out.push(`${path}.${key}: missing`);
      continue;
    }
    out.push(...conforms(obj[key], s, `${path}.${key}`));
  }
  for (const k of Object.keys(obj)) {
    if (known.has(k)) continue;
    if (index) out.push(...conforms(obj[k], index, `${path}.${k}`));
    else out.push(`${path}.${k}: not in the schema`);
  }
  return out;
}

function scalar(v: unknown, s: string): boolean {
  switch (s) {
    case 'string':
    case 'Date (ISO string)':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'unknown':
      return true;
    case 'undefined':
      return v === undefined;
    default:
      if (/^-?\d/.test(s)) return v === Number(s);
      if (s.startsWith('"')) return v === JSON.parse(s);
      if (s === 'true' || s === 'false') return v === (s === 'true');
      return v !== undefined; // a library type by name (e.g. Record<string, string>, V1Pod): present
  }
}
