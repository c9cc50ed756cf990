import type {LogLine} from '../ops/logs.js';
import type {Paint} from '../util/progress.js';

/** Role column width: "follower" and "observer" are the longest roles. */
const ROLE_WIDTH = 8;

/** `zk-0 leader   | text` (with --timestamps the kubelet's time first). */
export function renderLogLine(l: LogLine, paint: Paint, o: {timestamps: boolean; memberWidth: number}): string {
  const role = (l.role ?? 'down').padEnd(ROLE_WIDTH);
  const tag = `${paint.cyan(l.member.padEnd(o.memberWidth))} ${l.role === 'leader' ? paint.bold(role) : paint.dim(role)} |`;
  return `${o.timestamps ? `${l.time} ` : ''}${tag} ${l.text}\n`;
}

/** -o json: one object per line (JSON lines). */
export function logLineJson(l: LogLine): string {
  return `${JSON.stringify({time: l.time, member: l.member, role: l.role ?? 'down', text: l.text})}\n`;
}
