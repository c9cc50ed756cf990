import {stringify} from 'yaml';
import type {KubeObject} from '../kube/types.js';
import type {CreateResult} from '../ops/create.js';
import {formatDuration} from '../util/duration.js';
import type {Paint} from '../util/progress.js';

export function renderCreate(r: CreateResult, paint: Paint): string {
  const lines: string[] = [];
  if (r.ready) {
    lines.push(`${paint.green('✓')} ensemble "${r.name}" is serving in namespace "${r.namespace}": ${r.replicas} member${r.replicas === 1 ? '' : 's'}, leader ${paint.bold(r.leader ?? '?')} (${formatDuration(r.durationMs)})`);
  } else {
    lines.push(`ensemble "${r.name}" created in namespace "${r.namespace}" (${r.replicas} member${r.replicas === 1 ? '' : 's'}; not waited for)`);
  }
  lines.push(`connect: ${r.connectString}`);
  lines.push(`status:  kubectl zk status ${r.name} -n ${r.namespace}`);
  return lines.join('\n') + '\n';
}

/** --dry-run: exactly the objects that would be applied. */
export function renderObjectsYaml(objects: KubeObject[]): string {
  return objects.map((o) => stringify(o, {lineWidth: 0})).join('---\n');
}

export function objectList(objects: KubeObject[]): {apiVersion: 'v1'; kind: 'List'; items: KubeObject[]} {
  return {apiVersion: 'v1', kind: 'List', items: objects};
}
