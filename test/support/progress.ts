import type {Progress} from '../../src/util/progress.js';

/** Records every progress event as a line, for assertions. */
export function recordingProgress(): Progress & {lines: string[]} {
  const lines: string[] = [];
  return {
    lines,
    step(text) {
      lines.push(`step ${text}`);
      return {
        update: (t) => lines.push(`  update ${t}`),
        succeed: (t) => lines.push(`  ok ${t ?? text}`),
        fail: (t) => lines.push(`  fail ${t ?? text}`),
      };
    },
    info: (t) => lines.push(`info ${t}`),
    warn: (t) => lines.push(`warn ${t}`),
  };
}
