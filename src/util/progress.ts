import type {Writable} from 'node:stream';

/**
 * Progress for long operations. Always on stderr; a spinner on a TTY, plain
 * lines otherwise, nothing at all with -o json/yaml.
 */
export interface Progress {
  /** Starts a step; it stays current until succeed/fail/skip. */
  step(text: string): ProgressStep;
  info(text: string): void;
  warn(text: string): void;
}

export interface ProgressStep {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
}

export const silentProgress: Progress = {
  step: () => ({update() {}, succeed() {}, fail() {}}),
  info() {},
  warn() {},
};

export interface Paint {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  cyan(s: string): string;
}

export const noPaint: Paint = {green: (s) => s, red: (s) => s, yellow: (s) => s, dim: (s) => s, bold: (s) => s, cyan: (s) => s};

/** Plain lines: one when a step starts, one when it ends; updates only when their text changes. */
export function lineProgress(out: Writable, paint: Paint = noPaint): Progress {
  return {
    step(text) {
      out.write(`${text} ...\n`);
      let last = text;
      return {
        update(t) {
          if (t !== last) {
            out.write(`  ${t}\n`);
            last = t;
          }
        },
        succeed(t) {
          out.write(`${paint.green('✓')} ${t ?? text}\n`);
        },
        fail(t) {
          out.write(`${paint.red('✗')} ${t ?? text}\n`);
        },
      };
    },
    info(text) {
      out.write(`${text}\n`);
    },
    warn(text) {
      out.write(`${paint.yellow('warning:')} ${text}\n`);
    },
  };
}

/** A spinner per step (ora), for an interactive stderr. */
export async function spinnerProgress(out: Writable & {isTTY?: boolean}, paint: Paint): Promise<Progress> {
  const {default: ora} = await import('ora');
  return {
    step(text) {
      const spinner = ora({text, stream: out as NodeJS.WriteStream, isEnabled: true, discardStdin: false}).start();
      return {
        update(t) {
          spinner.text = `${text}: ${t}`;
        },
        succeed(t) {
          spinner.succeed(t ?? text);
        },
        fail(t) {
          spinner.fail(t ?? text);
        },
      };
    },
    info(text) {
      out.write(`${text}\n`);
    },
    warn(text) {
      out.write(`${paint.yellow('warning:')} ${text}\n`);
    },
  };
}
