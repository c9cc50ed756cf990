/**
 * The text files of a report (pure): a pod's description (kubectl describe's
 * essentials), the ensemble's events, the nodes' conditions.
 */
import type {CoreV1Event, V1Node, V1Pod} from '@kubernetes/client-node';

function ts(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'string' ? v : '-';
}

function state(s: Record<string, {reason?: string; exitCode?: number; message?: string; startedAt?: unknown; finishedAt?: unknown} | undefined> | undefined): string {
  if (!s) return '-';
  if (s['running']) return `Running since ${ts(s['running'].startedAt)}`;
  if (s['waiting']) return `Waiting: ${s['waiting'].reason ?? '?'}${s['waiting'].message ? ` (${s['waiting'].message})` : ''}`;
  const t = s['terminated'];
  if (t) return `Terminated: ${t.reason ?? '?'}, exit code ${t.exitCode ?? '?'}, ${ts(t.startedAt)} → ${ts(t.finishedAt)}${t.message ? ` (${t.message})` : ''}`;
  return '-';
}

export function eventLine(e: CoreV1Event): string {
  const when = ts(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp);
  const count = e.count && e.count > 1 ? ` (x${e.count})` : '';
  return `${when}  ${e.type ?? '-'}  ${e.involvedObject?.kind ?? '?'}/${e.involvedObject?.name ?? '?'}  ${e.reason ?? '-'}: ${(e.message ?? '').trim()}${count}`;
}

export function eventsText(events: readonly CoreV1Event[]): string {
  return events.length === 0 ? '(no events)\n' : `${events.map(eventLine).join('\n')}\n`;
}

export function describePod(pod: V1Pod, events: readonly CoreV1Event[]): string {
  const s = pod.status;
  const lines = [
    `Name:         ${pod.metadata?.name}`,
    `Namespace:    ${pod.metadata?.namespace}`,
    `Node:         ${pod.spec?.nodeName ?? '(not scheduled)'}`,
    `Created:      ${ts(pod.metadata?.creationTimestamp)}`,
    `Deleting:     ${pod.metadata?.deletionTimestamp ? ts(pod.metadata.deletionTimestamp) : 'no'}`,
    `Phase:        ${s?.phase ?? '-'}${s?.reason ? ` (${s.reason}: ${s.message ?? ''})` : ''}`,
    `IP:           ${s?.podIP ?? '-'}`,
    `Revision:     ${pod.metadata?.labels?.['controller-revision-hash'] ?? '-'}`,
    'Conditions:',
    ...(s?.conditions ?? []).map((c) => `  ${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}${c.message ? `: ${c.message}` : ''} (since ${ts(c.lastTransitionTime)})`),
    'Containers:',
  ];
  const statuses = [...(s?.initContainerStatuses ?? []), ...(s?.containerStatuses ?? [])];
  const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const names = [...new Set([...specs, ...statuses].map((x) => x.name))];
  for (const name of names) {
    const c = specs.find((x) => x.name === name);
    const st = statuses.find((x) => x.name === name);
    lines.push(`  ${name}: image ${c?.image ?? st?.image ?? '?'}${st?.imageID ? ` (${st.imageID})` : ''}`);
    lines.push(`    ready ${st?.ready ?? false}, restarts ${st?.restartCount ?? 0}`);
    lines.push(`    state:      ${state(st?.state as never)}`);
    if (st?.lastState && Object.keys(st.lastState).length > 0) lines.push(`    last state: ${state(st.lastState as never)}`);
    const r = c?.resources;
    if (r) lines.push(`    resources:  requests ${JSON.stringify(r.requests ?? {})}, limits ${JSON.stringify(r.limits ?? {})}`);
  }
  lines.push('Volumes:');
  for (const v of pod.spec?.volumes ?? []) {
    const what = v.persistentVolumeClaim
      ? `PVC ${v.persistentVolumeClaim.claimName}`
      : v.configMap
        ? `ConfigMap ${v.configMap.name}`
        : v.emptyDir
          ? 'emptyDir'
          : Object.keys(v)
              .filter((k) => k !== 'name')
              .join(',');
    lines.push(`  ${v.name}: ${what}`);
  }
  lines.push('Events:');
  const mine = events.filter((e) => e.involvedObject?.kind === 'Pod' && e.involvedObject.name === pod.metadata?.name);
  lines.push(...(mine.length === 0 ? ['  (none)'] : mine.map((e) => `  ${eventLine(e)}`)));
  return `${lines.join('\n')}\n`;
}

/** One block per node: readiness and every condition, taints, zone, and the members it runs. */
export function nodesText(nodes: readonly V1Node[], members: ReadonlyMap<string, string[]>): string {
  if (nodes.length === 0) return '(no nodes listed)\n';
  const out: string[] = [];
  for (const n of nodes) {
    const name = n.metadata?.name ?? '?';
    const labels = n.metadata?.labels ?? {};
    out.push(`${name}${n.spec?.unschedulable ? ' (cordoned)' : ''}`);
    out.push(`  zone: ${labels['topology.kubernetes.io/zone'] ?? '-'}; kubelet ${n.status?.nodeInfo?.kubeletVersion ?? '?'}; members: ${(members.get(name) ?? []).join(', ') || 'none'}`);
    for (const c of n.status?.conditions ?? [])
      out.push(`  ${c.type}=${c.status} ${c.reason ?? ''} (heartbeat ${ts(c.lastHeartbeatTime)}, since ${ts(c.lastTransitionTime)})${c.message ? `: ${c.message}` : ''}`);
    for (const t of n.spec?.taints ?? []) out.push(`  taint ${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`);
    const a = n.status?.allocatable ?? {};
    out.push(`  allocatable: cpu ${a['cpu'] ?? '?'}, memory ${a['memory'] ?? '?'}, pods ${a['pods'] ?? '?'}`);
  }
  return `${out.join('\n')}\n`;
}
