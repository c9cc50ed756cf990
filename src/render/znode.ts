import type {StatJson, ZnodeCreateResult, ZnodeGetResult, ZnodeLsResult} from '../ops/znode.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** java.util.Date#toString as zkCli prints ctime/mtime, in UTC: "Thu Nov 21 02:00:00 UTC 2025". */
export function formatZkDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** zkCli's `stat` block. */
export function renderStat(s: StatJson): string {
  return (
    [
      `cZxid = ${s.cZxid}`,
      `ctime = ${formatZkDate(s.ctime)}`,
      `mZxid = ${s.mZxid}`,
      `mtime = ${formatZkDate(s.mtime)}`,
      `pZxid = ${s.pZxid}`,
      `cversion = ${s.cversion}`,
      `dataVersion = ${s.dataVersion}`,
      `aclVersion = ${s.aclVersion}`,
      `ephemeralOwner = ${s.ephemeralOwner}`,
      `dataLength = ${s.dataLength}`,
      `numChildren = ${s.numChildren}`,
    ].join('\n') + '\n'
  );
}

/** `get`: the znode's bytes exactly as stored (no added newline). */
export function renderGetBytes(r: ZnodeGetResult): Buffer {
  return Buffer.from(r.data, r.encoding === 'base64' ? 'base64' : 'utf8');
}

/** `ls`: one name (or, with -R, one full path) per line. */
export function renderLs(r: ZnodeLsResult): string {
  return r.map((x) => `${x}\n`).join('');
}

/** `create`: the created path (sequential nodes get their counter). */
export function renderCreated(r: ZnodeCreateResult): string {
  return `${r.path}\n`;
}
