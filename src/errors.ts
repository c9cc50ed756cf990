/**
 * The error types every command reports through one path (src/main.ts):
 * a single `error: <message> (<hint>)` line on stderr and a documented exit code.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
} as const;

export class CliError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  /** Context printed on stderr before the error line (e.g. a crashed pod's last log lines). */
  readonly details: string[];
  /** The executable exits as soon as the error line is printed: work abandoned past --total-timeout must not go on (src/cli/deadline.ts). */
  readonly exitNow: boolean;

  constructor(message: string, opts: {hint?: string; exitCode?: number; cause?: unknown; details?: string[]; exitNow?: boolean} = {}) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause});
    this.name = 'CliError';
    this.exitCode = opts.exitCode ?? ExitCode.failure;
    this.hint = opts.hint;
    this.details = opts.details ?? [];
    this.exitNow = opts.exitNow ?? false;
  }
}

/** Bad flags, bad arguments, bad names: nothing was sent anywhere. Exit code 2. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, {hint, exitCode: ExitCode.usage});
    this.name = 'UsageError';
  }
}

/** Raised when a run was cancelled by the user (Ctrl-C, a "no" at a prompt). */
export class AbortedError extends CliError {
  constructor(message = 'aborted', hint?: string) {
    super(message, {hint, exitCode: ExitCode.failure});
    this.name = 'AbortedError';
  }
}

/** The message of an Error, or of an error-like event (a WebSocket's ErrorEvent carries `message` and `error`). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) {
    const {message, error} = err as {message?: unknown; error?: unknown};
    if (typeof message === 'string' && message) return message;
    if (error instanceof Error) return error.message;
  }
  return String(err);
}
