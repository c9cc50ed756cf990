import type {Change, Health, MemberReport, StatusReport, StatusSummary} from '../ops/status.js';
import {formatAge} from '../util/duration.js';
import type {Paint} from '../util/progress.js';
import {table} from './table.js';

function healthText(h: Health | 'unknown', p: Paint): string {
  return h === 'healthy' ? p.green(h) : h === 'degraded' ? p.yellow(h) : p.red(h);
}

function roleText(m: MemberReport, p: Paint): string {
  const role = m.role === 'leader' ? p.bold(p.cyan('leader')) : m.role === 'unreachable' || m.role === 'no pod' ? p.red(m.role) : m.role === 'not serving' ? p.yellow(m.role) : m.role;
  return m.configRole === 'observer' && m.role !== 'observer' ? `${role} (observer in config)` : role;
}

/** The pod's revision hash (without the NAME- prefix); yellow when it is not the template's. */
function revisionText(m: MemberReport, r: StatusReport, p: Paint): string {
  if (!m.revision) return '-';
  const short = m.revision.startsWith(`${r.name}-`) ? m.revision.slice(r.name.length + 1) : m.revision;
  return r.rollout?.updateRevision && m.revision !== r.rollout.updateRevision ? p.yellow(`${short} (old)`) : short;
}

const dash = (v: unknown) => (v === undefined || v === null || v === '' ? '-' : String(v));

/** The human view of one ensemble: header, one row per member, warnings, partial errors. */
export function renderStatus(r: StatusReport, p: Paint, wide = false): string {
  const out: string[] = [];
  const q = r.quorum;
  out.push(`${p.bold(`Ensemble ${r.name}`)} (namespace ${r.namespace})   ${healthText(r.health, p)}`);
  out.push(`  Image:       ${dash(r.image)}${r.zookeeperVersion ? `   ZooKeeper ${r.zookeeperVersion}` : ''}`);
  out.push(`  Members:     ${r.replicas.ready}/${r.replicas.desired} ready`);
  out.push(
    `  Quorum:      ${q.has ? p.green('yes') : p.red('NO')}, ${q.servingVoters}/${q.voters} voters serving, needs ${q.needed}, tolerates ${q.tolerates} more failure${q.tolerates === 1 ? '' : 's'}`,
  );
  out.push(`  Leader:      ${q.leader ?? p.red('none')}`);
  if (r.sync) {
    out.push(
      `  Synced:      ${r.sync.followers}/${Math.max(0, q.voters - 1)} followers${r.sync.observers !== undefined ? `, ${r.sync.observers} observers` : ''}${r.sync.pendingSyncs ? `, ${r.sync.pendingSyncs} pending` : ''}`,
    );
  }
  if (r.config) {
    out.push(`  Config:      version ${dash(r.config.version)}: ${r.config.members.map((m) => `server.${m.id}${m.role === 'observer' ? ' (observer)' : ''}`).join(', ')}`);
  }
  if (r.pdb) out.push(`  Disruptions: ${r.pdb.disruptionsAllowed} allowed (PodDisruptionBudget)`);
  if (r.security) out.push(`  Clients:     ${r.security.clientsFrom.join(', ')}${r.security.networkPolicy ? ' (NetworkPolicy)' : ''}`);
  if (r.security?.tlsCaSecret) out.push(`  TLS CA:      yours, Secret ${r.security.tlsCaSecret} (--tls-from-secret; kubectl-zk signs with it, never rotates it)`);
  if (r.rollout?.updateRevision) {
    const all = r.rollout.updated === r.rollout.pods;
    out.push(`  Revision:    ${r.rollout.updateRevision}, ${r.rollout.updated}/${r.rollout.pods} members on it${all ? '' : p.yellow(' (roll incomplete)')}`);
  }
  out.push('');
  const revisions = r.members.some((m) => m.revision);
  const mixedImages = new Set(r.members.map((m) => m.image).filter(Boolean)).size > 1;
  const headers = [
    'POD',
    'ID',
    'ROLE',
    'READY',
    'ZXID',
    'CLIENTS',
    'CONNS',
    'OUTST',
    'LAT AVG/MAX',
    'ZNODES',
    'WATCHES',
    'NODE',
    'RESTARTS',
    'AGE',
    ...(revisions ? ['REVISION'] : []),
    ...(wide ? ['IP', 'PKTS RECV/SENT', 'DATA', 'FSYNC WARN', 'IMAGE'] : mixedImages ? ['IMAGE'] : []),
  ];
  const rows = r.members.map((m) => [
    m.pod,
    String(m.serverId),
    roleText(m, p),
    m.role === 'no pod' ? '-' : m.ready ? 'true' : p.yellow('false'),
    dash(m.zxid),
    dash(m.clients),
    dash(m.connections),
    dash(m.outstanding),
    m.latencyAvg === undefined ? '-' : `${Number(m.latencyAvg.toFixed(1))}/${m.latencyMax}ms`,
    dash(m.znodeCount),
    dash(m.watchCount),
    dash(m.node),
    String(m.restarts),
    m.ageMs === undefined ? '-' : formatAge(m.ageMs),
    ...(revisions ? [revisionText(m, r, p)] : []),
    ...(wide
      ? [dash(m.ip), m.packetsReceived === undefined ? '-' : `${m.packetsReceived}/${m.packetsSent}`, m.dataSize === undefined ? '-' : `${m.dataSize}B`, dash(m.fsyncWarnings), dash(m.image)]
      : mixedImages
        ? [dash(m.image)]
        : []),
  ]);
  out.push(table(headers, rows).trimEnd());
  if (r.warnings.length > 0) {
    out.push('');
    for (const w of r.warnings) out.push(`${p.yellow('warning:')} ${w}`);
  }
  if (r.errors.length > 0) {
    out.push('');
    for (const e of r.errors) out.push(`${p.red('could not ask')} ${e}`);
  }
  return out.join('\n') + '\n';
}

export function renderSummary(s: StatusSummary, p: Paint, allNamespaces: boolean): string {
  if (s.ensembles.length === 0) return '';
  const headers = [...(allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'HEALTH', 'READY', 'LEADER', 'VOTERS', 'OBSERVERS'];
  const rows = s.ensembles.map((e) => [
    ...(allNamespaces ? [e.namespace] : []),
    e.name,
    e.error ? p.red(`error: ${e.error}`) : healthText(e.health, p),
    e.ready,
    dash(e.leader),
    dash(e.voters),
    dash(e.observers),
  ]);
  return table(headers, rows);
}

/** "12:01:03.418" in local time, for watch lines. */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function renderChange(c: Change, p: Paint): string {
  const text = c.kind === 'leader' ? p.bold(c.text) : c.kind === 'unreachable' ? p.red(c.text) : c.kind === 'back' ? p.green(c.text) : c.text;
  return `${clockTime(c.time)} ${text}`;
}

/** First line when watching through a pipe: a compact snapshot. */
export function renderWatchLine(r: StatusReport): string {
  return `${clockTime(r.time)} ${r.name}: ${r.health}, leader ${r.quorum.leader ?? 'none'}, ${r.members.map((m) => `${m.pod}=${m.role}`).join(' ')}`;
}
