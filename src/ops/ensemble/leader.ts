/**
 * The leader tracker: the one way of telling a leader change. A change is
 * another member leading, or the same member leading in a newer epoch (it
 * lost the leadership and won the election again).
 */

export interface LeaderSeen {
  pod?: string;
  epoch?: number;
}

/** Is `now` a different leadership than `before`? Unknown pods or epochs never count as a change. */
export function isNewLeadership(before: LeaderSeen, now: LeaderSeen): boolean {
  if (now.pod === undefined) return false;
  if (before.pod !== undefined && now.pod !== before.pod) return true;
  return now.epoch !== undefined && before.epoch !== undefined && now.epoch > before.epoch;
}

export interface LeaderChange {
  from?: string;
  to: string;
  epochBefore?: number;
  epochAfter?: number;
}

/** Follows the leadership through successive observations; reports each change once. */
export class LeaderTracker {
  private last: LeaderSeen;

  constructor(start: LeaderSeen = {}) {
    this.last = {...start};
  }

  get current(): LeaderSeen {
    return {...this.last};
  }

  /** Records who leads now (an undefined pod: nobody is known to lead, nothing recorded). The change, if this is one. */
  observe(now: LeaderSeen): LeaderChange | undefined {
    if (now.pod === undefined) return undefined;
    const change = isNewLeadership(this.last, now) ? {from: this.last.pod, to: now.pod, epochBefore: this.last.epoch, epochAfter: now.epoch} : undefined;
    const epoch = now.epoch !== undefined && (this.last.epoch === undefined || now.epoch > this.last.epoch) ? now.epoch : this.last.epoch;
    this.last = {pod: now.pod, epoch};
    return change;
  }
}
