/**
 * What keeps secrets out of a report (pure): Secret values replaced, noise
 * dropped from live objects, and a last scrub of every file for the values
 * the ensemble's Secret holds (in the clear and base64), whatever file they
 * turned up in.
 */
import type {KubeObject} from '../../kube/types.js';

export const REDACTED = '<redacted>';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** A live object as the report keeps it: no managedFields; a Secret's values (and a last-applied copy of them) redacted. */
export function redactObject(o: KubeObject): KubeObject {
  const metadata = {...o.metadata};
  delete metadata['managedFields'];
  const out: KubeObject = {...o, metadata};
  if (o.kind !== 'Secret') return out;
  if (metadata.annotations?.[LAST_APPLIED]) metadata.annotations = {...metadata.annotations, [LAST_APPLIED]: REDACTED};
  for (const field of ['data', 'stringData'] as const) {
    const values = o[field] as Record<string, unknown> | undefined;
    if (values) out[field] = Object.fromEntries(Object.keys(values).map((k) => [k, REDACTED]));
  }
  return out;
}

/**
 * The strings a report must never contain, from a Secret's values: each value
 * as it is, decoded from base64 (data) and encoded (how it is stored), and for
 * a digest "user:hash" the hash alone. Values shorter than 6 characters
 * ("super") are names, not secrets, and are left alone.
 */
export function secretStrings(secrets: readonly KubeObject[]): string[] {
  const out = new Set<string>();
  const add = (v: string) => {
    if (v.length < 6) return;
    out.add(v);
    out.add(Buffer.from(v, 'utf8').toString('base64'));
    const colon = v.indexOf(':');
    if (colon > 0 && v.length - colon - 1 >= 6) out.add(v.slice(colon + 1));
  };
  for (const s of secrets) {
    for (const v of Object.values((s['data'] as Record<string, string> | undefined) ?? {})) {
      if (typeof v !== 'string') continue;
      out.add(v);
      add(Buffer.from(v, 'base64').toString('utf8'));
    }
    for (const v of Object.values((s['stringData'] as Record<string, string> | undefined) ?? {})) if (typeof v === 'string') add(v);
  }
  return [...out].filter((v) => v.length >= 6).sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of each secret string with REDACTED; counts the replacements. */
export function scrub(text: string, secrets: readonly string[]): {text: string; replaced: number} {
  let replaced = 0;
  let out = text;
  for (const s of secrets) {
    const parts = out.split(s);
    if (parts.length > 1) {
      replaced += parts.length - 1;
      out = parts.join(REDACTED);
    }
  }
  return {text: out, replaced};
}
