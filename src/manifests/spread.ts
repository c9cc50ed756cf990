/**
 * How the members' pods are spread over nodes and zones, as the StatefulSet's
 * pod template says it (pure). Per topology (node: kubernetes.io/hostname;
 * zone: topology.kubernetes.io/zone) one of:
 *
 * - `required`: node: pod anti-affinity requiredDuringScheduling (never two
 *   members on one node); zone: a topologySpreadConstraint with maxSkew 1 and
 *   whenUnsatisfiable DoNotSchedule (the zones' member counts differ by at
 *   most one; with fewer zones than members some hold two, evenly).
 *   nodeTaintsPolicy Honor: a NotReady or cordoned node (tainted) is no
 *   domain, so a zone whose only node is lost does not hold the others back;
 * - `preferred`: weighted anti-affinity per node and per zone, and a node
 *   spread that schedules anyway (the template kubectl-zk always had);
 * - `none`: nothing; the scheduler places members where it likes.
 *
 * The choice is recorded on the StatefulSet (annotation kubectl-zk/spread,
 * e.g. "node=required,zone=required") for scale and member replace.
 */
export type SpreadLevel = 'required' | 'preferred' | 'none';
export interface Spread {
  node: SpreadLevel;
  zone: SpreadLevel;
}

export const SPREAD_ANNOTATION = 'kubectl-zk/spread';
export const HOSTNAME_KEY = 'kubernetes.io/hostname';
export const ZONE_KEY = 'topology.kubernetes.io/zone';
/** The template's spreading when create had no say (before --spread, and the default of callers that do not choose). */
export const PREFERRED_SPREAD: Spread = {node: 'preferred', zone: 'preferred'};

export function formatSpread(s: Spread): string {
  return `node=${s.node},zone=${s.zone}`;
}

const LEVELS: readonly string[] = ['required', 'preferred', 'none'];

/** The annotation's value read back; undefined when absent or not ours. */
export function parseSpread(text: string | undefined): Spread | undefined {
  const m = /^node=(\w+),zone=(\w+)$/.exec(text ?? '');
  if (!m || !LEVELS.includes(m[1]!) || !LEVELS.includes(m[2]!)) return undefined;
  return {node: m[1] as SpreadLevel, zone: m[2] as SpreadLevel};
}

type Selector = Record<string, string>;
interface Term {
  topologyKey: string;
  labelSelector: {matchLabels: Selector};
}

/** The pod spec's affinity and topologySpreadConstraints for `s`; an absent field is none. */
export function spreadPodSpec(s: Spread, selector: Selector): {affinity?: {podAntiAffinity: Record<string, unknown>}; topologySpreadConstraints?: Record<string, unknown>[]} {
  const term = (topologyKey: string): Term => ({topologyKey, labelSelector: {matchLabels: {...selector}}});
  const required: Term[] = [];
  const preferred: {weight: number; podAffinityTerm: Term}[] = [];
  const constraints: Record<string, unknown>[] = [];
  if (s.node === 'required') required.push(term(HOSTNAME_KEY));
  if (s.node === 'preferred') preferred.push({weight: 100, podAffinityTerm: term(HOSTNAME_KEY)});
  // a term whose topology key no node carries weighs nothing: zones count only where they are labelled
  if (s.zone === 'preferred') preferred.push({weight: 100, podAffinityTerm: term(ZONE_KEY)});
  if (s.node === 'preferred') constraints.push({maxSkew: 1, topologyKey: HOSTNAME_KEY, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: {matchLabels: {...selector}}});
  if (s.zone === 'required') {
    constraints.push({maxSkew: 1, topologyKey: ZONE_KEY, whenUnsatisfiable: 'DoNotSchedule', nodeTaintsPolicy: 'Honor', labelSelector: {matchLabels: {...selector}}});
  }
  const anti: Record<string, unknown> = {};
  if (required.length > 0) anti['requiredDuringSchedulingIgnoredDuringExecution'] = required;
  if (preferred.length > 0) anti['preferredDuringSchedulingIgnoredDuringExecution'] = preferred;
  return {
    ...(Object.keys(anti).length > 0 ? {affinity: {podAntiAffinity: anti}} : {}),
    ...(constraints.length > 0 ? {topologySpreadConstraints: constraints} : {}),
  };
}

/** What a live pod template says (the annotation when present, else read from its fields). */
export function spreadOfTemplate(annotations: Record<string, string> | undefined, podSpec: {affinity?: any; topologySpreadConstraints?: any[]} | undefined): Spread {
  const recorded = parseSpread(annotations?.[SPREAD_ANNOTATION]);
  if (recorded) return recorded;
  const anti = podSpec?.affinity?.podAntiAffinity;
  const has = (list: any[] | undefined, key: string) => (list ?? []).some((t) => (t.podAffinityTerm ?? t).topologyKey === key);
  const tsc = podSpec?.topologySpreadConstraints ?? [];
  const level = (key: string): SpreadLevel =>
    has(anti?.requiredDuringSchedulingIgnoredDuringExecution, key) || tsc.some((c) => c.topologyKey === key && c.whenUnsatisfiable === 'DoNotSchedule')
      ? 'required'
      : has(anti?.preferredDuringSchedulingIgnoredDuringExecution, key) || tsc.some((c) => c.topologyKey === key)
        ? 'preferred'
        : 'none';
  return {node: level(HOSTNAME_KEY), zone: level(ZONE_KEY)};
}

/** A JSON merge patch of the StatefulSet that makes its template spread as `s` (every field set or nulled: a merge patch merges objects). */
export function spreadPatch(s: Spread, selector: Selector): Record<string, unknown> {
  const p = spreadPodSpec(s, selector);
  const anti = p.affinity?.podAntiAffinity;
  return {
    metadata: {annotations: {[SPREAD_ANNOTATION]: formatSpread(s)}},
    spec: {
      template: {
        spec: {
          affinity: anti
            ? {
                podAntiAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: anti['requiredDuringSchedulingIgnoredDuringExecution'] ?? null,
                  preferredDuringSchedulingIgnoredDuringExecution: anti['preferredDuringSchedulingIgnoredDuringExecution'] ?? null,
                },
              }
            : null,
          topologySpreadConstraints: p.topologySpreadConstraints ?? null,
        },
      },
    },
  };
}
