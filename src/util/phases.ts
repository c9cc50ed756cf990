/** The phase timer: how long each named phase of a step took (for -o json and progress). */
import type {Clock} from './time.js';

export interface PhaseTiming {
  phase: string;
  ms: number;
}

/** When a phase ended, in ms since the timer started (create's `phases`: when it reached each step). */
export interface PhaseMark {
  phase: string;
  atMs: number;
}

export interface PhaseTimerOptions {
  /** leave out phases that took no time (one a collaborator's own phases replaced at once) */
  dropEmpty?: boolean;
  /** told each new phase's name (e.g. a progress line) */
  onPhase?(name: string): void;
}

export class PhaseTimer {
  readonly phases: PhaseTiming[] = [];
  /** the clock time the timer was made */
  readonly startedAt: number;
  /** the clock time each of `phases` ended */
  private readonly ends: number[] = [];
  private name = '';
  private since: number;

  constructor(
    private readonly clock: Clock,
    private readonly o: PhaseTimerOptions = {},
  ) {
    this.startedAt = this.since = clock.now();
  }

  /** The phase under way ('' when none). */
  get current(): string {
    return this.name;
  }

  /** Ends the current phase (timed) and starts `name`; '' ends without starting another. The same name again changes nothing. */
  enter(name: string): void {
    if (name === this.name && name !== '') return;
    const now = this.clock.now();
    if (this.name && !(this.o.dropEmpty && now <= this.since)) {
      this.phases.push({phase: this.name, ms: now - this.since});
      this.ends.push(now);
    }
    this.name = name;
    this.since = now;
    if (name) this.o.onPhase?.(name);
  }

  end(): void {
    this.enter('');
  }

  /** The timed phases as when each ended, counted from the timer's start (gaps between phases included). */
  marks(): PhaseMark[] {
    return this.phases.map((p, i) => ({phase: p.phase, atMs: this.ends[i]! - this.startedAt}));
  }
}
