import {stringify} from 'yaml';
import type {KubeObject} from '../kube/types.js';
import type {CreateResult} from '../ops/create.js';
import {formatDuration} from '../util/duration.js';
import {formatSpread} from '../manifests/spread.js';
import type {Paint} from '../util/progress.js';

export function renderCreate(r: CreateResult, paint: Paint): string {
  const lines: string[] = [];
  if (r.ready) {
    lines.push(
      `${paint.green('✓')} ensemble "${r.name}" is serving in namespace "${r.namespace}": ${r.replicas} member${r.replicas === 1 ? '' : 's'}, leader ${paint.bold(r.leader ?? '?')} (${formatDuration(r.durationMs)})`,
    );
  } else {
    lines.push(`ensemble "${r.name}" created in namespace "${r.namespace}" (${r.replicas} member${r.replicas === 1 ? '' : 's'}; not waited for)`);
  }
  lines.push(`connect: ${r.connectString}`);
  lines.push(`clients: ${r.clientsFrom.join(', ')} (--allow-clients-from)`);
  lines.push(`spread:  ${formatSpread(r.spread)} (--spread)`);
  if (!r.aclsSet) lines.push(`${paint.yellow('!')} root ACL still open: run kubectl zk secure ${r.name} -n ${r.namespace} once the quorum serves`);
  lines.push(`status:  kubectl zk status ${r.name} -n ${r.namespace}`);
  return lines.join('\n') + '\n';
}

/** --dry-run: exactly the objects that would be applied. */
export function renderObjectsYaml(objects: KubeObject[]): string {
  return objects.map((o) => stringify(o, {lineWidth: 0})).join('---\n');
}

export const REDACTED = '<redacted: --show-secrets prints it>';

/** The objects with every Secret value replaced (data and stringData keys stay, so the shape is what would be applied). */
export function redactSecrets(objects: KubeObject[]): KubeObject[] {
  return objects.map((o) => {
    if (o.kind !== 'Secret') return o;
    const out: KubeObject = {...o};
    for (const field of ['data', 'stringData'] as const) {
      const values = o[field] as Record<string, unknown> | undefined;
      if (values) out[field] = Object.fromEntries(Object.keys(values).map((k) => [k, REDACTED]));
    }
    return out;
  });
}

export function objectList(objects: KubeObject[]): {apiVersion: 'v1'; kind: 'List'; items: KubeObject[]} {
  return {apiVersion: 'v1', kind: 'List', items: objects};
}
