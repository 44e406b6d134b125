// Memory of the backlog request that a receiver keeps failing (Thanos receive
// answers 503 for samples outside its window, for ever): set aside, tried again
// at the next sends, dropped once it failed SET_ASIDE_LIMIT sends in a row while
// the receiver took other requests of the same send. A send in which nothing was
// taken (the receiver down, 503 for everything) counts for nothing: an outage
// must never cost the backlog.

/** A backlog request set aside at this many sends in a row is dropped: its receiver will not take it. */
export const SET_ASIDE_LIMIT = 3;
/** Within one send, after a request was set aside, at most this many more may fail before the send goes to the current values. */
export const MAX_SET_ASIDE_PER_SEND = 8;

/** What a SetAsideMemory holds, for keeping it in dataDir between the processes of one boot. */
export interface SetAsideSnapshot {
  readonly firstSeq: number;
  readonly times: number;
}

/**
 * Which backlog request was set aside at the previous sends, by its first seq.
 * Lives as long as the daemon's wiring and, through dataDir, across the
 * daemon's wakes (src/agent/wake-state.ts); a new boot forgives.
 */
export class SetAsideMemory {
  private firstSeq: number | undefined;
  private times = 0;

  constructor(from?: SetAsideSnapshot) {
    if (from !== undefined && from.times > 0) {
      this.firstSeq = from.firstSeq;
      this.times = from.times;
    }
  }

  snapshot(): SetAsideSnapshot | undefined {
    return this.firstSeq === undefined ? undefined : { firstSeq: this.firstSeq, times: this.times };
  }

  /** How many earlier sends in a row refused the request starting at firstSeq while taking others. */
  timesBefore(firstSeq: number): number {
    return this.firstSeq === firstSeq ? this.times : 0;
  }

  /** This send refused it and took another request: one more in the row (this one included) is returned. */
  confirm(firstSeq: number): number {
    this.times = this.timesBefore(firstSeq) + 1;
    this.firstSeq = firstSeq;
    return this.times;
  }

  clear(): void {
    this.firstSeq = undefined;
    this.times = 0;
  }
}
