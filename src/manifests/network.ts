import {UsageError} from '../errors.js';

/**
 * Who may open connections to an ensemble's client port, from
 * `--allow-clients-from` (repeatable). Pure: parsing, rendering the
 * NetworkPolicy peers, and describing them for `status`.
 *
 *   same-namespace            every pod of the ensemble's namespace (the default)
 *   all                       every pod of the cluster, and anything outside it the network lets in
 *   namespace=NAME            every pod of namespace NAME
 *   podSelector=k=v[,k=v…]    pods of the ensemble's namespace with these labels
 *   namespaceSelector=k=v[,…] every pod of the namespaces with these labels
 */
export type ClientSource =
  | {kind: 'same-namespace'}
  | {kind: 'all'}
  | {kind: 'namespace'; namespace: string}
  | {kind: 'podSelector'; matchLabels: Record<string, string>}
  | {kind: 'namespaceSelector'; matchLabels: Record<string, string>};

export const DEFAULT_CLIENT_SOURCES: readonly ClientSource[] = Object.freeze([{kind: 'same-namespace'} as const]);

/** The label the API server puts on every namespace, with its name as the value (Kubernetes ≥ 1.21). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const USAGE = 'one of: same-namespace, all, namespace=NAME, podSelector=key=value[,key=value], namespaceSelector=key=value[,key=value]';

function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return `label key prefix "${prefix}" is not a DNS subdomain`;
  if (!LABEL_NAME.test(name)) return `label key "${key}" is not a valid label name`;
  return undefined;
}

/** "k=v,k2=v2" (equality only, as matchLabels) → labels; throws UsageError naming the bad part. */
export function parseMatchLabels(text: string, flag: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text.trim() === '') throw new UsageError(`${flag}: an empty selector`, 'give at least one key=value, or use same-namespace / all');
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag}: "${part}" is not key=value`, 'only equality selectors (matchLabels) are supported');
    const key = part.slice(0, eq).trim();
    const value = part
      .slice(eq + 1)
      .trim()
      .replace(/^=/, ''); // accept k==v like kubectl
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) throw new UsageError(`${flag}: ${keyProblem}`);
    if (value !== '' && !LABEL_NAME.test(value))
      throw new UsageError(`${flag}: label value "${value}" is not valid`, 'at most 63 characters: letters, digits, "-", "_", "." (starting and ending with a letter or digit)');
    if (key in labels && labels[key] !== value) throw new UsageError(`${flag}: label "${key}" given twice with different values`);
    labels[key] = value;
  }
  return labels;
}

export function parseClientSource(text: string): ClientSource {
  const flag = `--allow-clients-from ${text}`;
  const t = text.trim();
  if (t === 'same-namespace') return {kind: 'same-namespace'};
  if (t === 'all') return {kind: 'all'};
  const eq = t.indexOf('=');
  if (eq < 0) throw new UsageError(`invalid ${flag}`, USAGE);
  const key = t.slice(0, eq);
  const rest = t.slice(eq + 1);
  switch (key) {
    case 'namespace':
      if (!DNS_LABEL.test(rest) || rest.length > 63) throw new UsageError(`${flag}: "${rest}" is not a namespace name`);
      return {kind: 'namespace', namespace: rest};
    case 'podSelector':
      return {kind: 'podSelector', matchLabels: parseMatchLabels(rest, flag)};
    case 'namespaceSelector':
      return {kind: 'namespaceSelector', matchLabels: parseMatchLabels(rest, flag)};
    default:
      throw new UsageError(`invalid ${flag}: unknown source "${key}"`, USAGE);
  }
}

/** The flag values → sources: the default when none, `all` alone when given (it covers every other). */
export function parseClientSources(values: readonly string[] | undefined): ClientSource[] {
  if (!values || values.length === 0) return [...DEFAULT_CLIENT_SOURCES];
  const sources = values.map(parseClientSource);
  if (sources.some((s) => s.kind === 'all') && sources.length > 1) {
    throw new UsageError('--allow-clients-from all admits every client; it cannot be combined with other sources');
  }
  const seen = new Set<string>();
  return sources.filter((s) => {
    const k = JSON.stringify(s);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Namespaces the sources name, which must exist (checked before anything is applied). */
export function namedNamespaces(sources: readonly ClientSource[]): string[] {
  return [...new Set(sources.flatMap((s) => (s.kind === 'namespace' ? [s.namespace] : [])))].sort();
}

/** The NetworkPolicy `from` peers of the client rule; undefined = no `from` at all (every source). */
export function clientPeers(sources: readonly ClientSource[]): Record<string, unknown>[] | undefined {
  if (sources.some((s) => s.kind === 'all')) return undefined;
  return sources.map((s) => {
    switch (s.kind) {
      case 'same-namespace':
        return {podSelector: {}};
      case 'namespace':
        return {namespaceSelector: {matchLabels: {[NAMESPACE_NAME_LABEL]: s.namespace}}};
      case 'podSelector':
        return {podSelector: {matchLabels: {...s.matchLabels}}};
      case 'namespaceSelector':
        return {namespaceSelector: {matchLabels: {...s.matchLabels}}};
      default:
        throw new Error(`unhandled client source ${JSON.stringify(s)}`);
    }
  });
}

function selectorText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The flag value that gives this source (round-trips through parseClientSource). */
export function formatClientSource(s: ClientSource): string {
  switch (s.kind) {
    case 'same-namespace':
    case 'all':
      return s.kind;
    case 'namespace':
      return `namespace=${s.namespace}`;
    default:
      return `${s.kind}=${selectorText(s.matchLabels)}`;
  }
}

/** The rule that admits the scheduled backup's pods (manifests/backup.ts): not a client source. */
function isBackupRule(r: {from?: Record<string, unknown>[]}): boolean {
  return (
    (r.from ?? []).length > 0 && (r.from ?? []).every((p) => (p['podSelector'] as {matchLabels?: Record<string, string>} | undefined)?.matchLabels?.['app.kubernetes.io/name'] === 'zookeeper-backup')
  );
}

/**
 * The client sources a live NetworkPolicy admits on the client port, or the
 * secure one with TLS (for `status`): the inverse of clientPeers for the policies kubectl-zk renders.
 * A peer it cannot map (edited by hand, ipBlock) is described as it is.
 */
export function describeClientPeers(
  policy: {spec?: {ingress?: {from?: Record<string, unknown>[]; ports?: {port?: number | string}[]}[]}} | undefined,
  clientPort: number | readonly number[],
): string[] {
  if (!policy) return ['all (no NetworkPolicy)'];
  const ports: readonly (number | string)[] = [...(typeof clientPort === 'number' ? [clientPort] : clientPort), 'client', 'secure-client'];
  const rules = (policy.spec?.ingress ?? []).filter((r) => (!r.ports || r.ports.some((p) => p.port !== undefined && ports.includes(p.port))) && !isBackupRule(r));
  if (rules.length === 0) return ['none'];
  const out: string[] = [];
  for (const r of rules) {
    if (!r.from || r.from.length === 0) return ['all'];
    for (const peer of r.from) {
      const pod = peer['podSelector'] as {matchLabels?: Record<string, string>} | undefined;
      const ns = peer['namespaceSelector'] as {matchLabels?: Record<string, string>} | undefined;
      const podLabels = pod?.matchLabels ?? {};
      const nsLabels = ns?.matchLabels ?? {};
      if (pod && !ns && Object.keys(podLabels).length === 0) out.push('same-namespace');
      else if (pod && !ns) out.push(`podSelector=${selectorText(podLabels)}`);
      else if (ns && !pod && Object.keys(nsLabels).length === 1 && nsLabels[NAMESPACE_NAME_LABEL]) out.push(`namespace=${nsLabels[NAMESPACE_NAME_LABEL]}`);
      else if (ns && !pod) out.push(Object.keys(nsLabels).length === 0 ? 'all pods' : `namespaceSelector=${selectorText(nsLabels)}`);
      else out.push(JSON.stringify(peer));
    }
  }
  return [...new Set(out)];
}
