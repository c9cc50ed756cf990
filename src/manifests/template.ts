/** The one template filler of the manifests. Pure. */

/** Replaces {{key}} in string leaves of a parsed template (never in its structure). */
export function fill<T>(node: T, values: Record<string, string>): T {
  if (typeof node === 'string') {
    return node.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
      const v = values[key];
      if (v === undefined) throw new Error(`template value {{${key}}} is not defined`);
      return v;
    }) as T;
  }
  if (Array.isArray(node)) return node.map((n) => fill(n, values)) as T;
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v, values)])) as T;
  }
  return node;
}
