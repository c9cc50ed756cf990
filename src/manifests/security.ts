/**
 * The zoo.cfg settings that keep an ensemble closed by default, for `secure`
 * (an ensemble made by an earlier kubectl-zk) and `status` (what is still
 * open). manifests/zoo.cfg renders the same values; a unit test keeps the
 * two equal. No YAML here: status loads this module.
 */
export const SECURE_ZOO_CFG: Readonly<Record<string, string>> = Object.freeze({
  // the AdminServer answers on the pod's loopback only (port-forward reaches it)
  'admin.serverAddress': '127.0.0.1',
});

/** key=value lines of a zoo.cfg text (the last one of a key wins, as ZooKeeper reads it). */
export function zooCfgValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([^#=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

export interface SettingChange {
  key: string;
  from?: string;
  to: string;
}

/** The live zoo.cfg with SECURE_ZOO_CFG applied: a line replaced in place, or added at the end. Pure. */
export function secureZooCfg(live: string): {text: string; changes: SettingChange[]} {
  const have = zooCfgValues(live);
  const changes: SettingChange[] = [];
  let lines = live.replace(/\n?$/, '\n').split('\n').slice(0, -1);
  for (const [key, to] of Object.entries(SECURE_ZOO_CFG)) {
    if (have.get(key) === to) continue;
    changes.push({key, from: have.get(key), to});
    const re = new RegExp(`^\\s*${key.replace(/\./g, '\\.')}\\s*=`);
    if (lines.some((l) => re.test(l))) lines = lines.map((l) => (re.test(l) ? `${key}=${to}` : l));
    else lines.push(`${key}=${to}`);
  }
  return {text: lines.join('\n') + '\n', changes};
}
