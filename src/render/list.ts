import type {ListResult} from '../ops/list.js';
import {formatAge} from '../util/duration.js';
import {table} from './table.js';

export function renderList(r: ListResult, wide = false): string {
  if (r.ensembles.length === 0) {
    return '';
  }
  const headers = [...(r.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'READY', 'IMAGE', 'AGE', ...(wide ? ['VERSION', 'CREATED'] : [])];
  const rows = r.ensembles.map((e) => [
    ...(r.allNamespaces ? [e.namespace] : []),
    e.name,
    `${e.ready}/${e.replicas}`,
    e.image,
    e.ageMs === undefined ? '<unknown>' : formatAge(e.ageMs),
    ...(wide ? [e.version ?? '', e.created ?? ''] : []),
  ]);
  return table(headers, rows);
}
