// A clock for exact timing tests: time moves only when the test says so, and
// its setTimeout behaves as Node's does at the edges (a delay above 2^31-1 ms or
// below 1 ms becomes 1 ms), so code that forgets the limit floods here as it
// would in production. `firesEarlyMs` makes every timer fire that much early,
// as Node's can against performance.now().
import type { Clock, TimerHandle } from '../../src/base/timers.js';

const NODE_TIMEOUT_MAX = 2 ** 31 - 1;

interface Pending {
  readonly id: number;
  readonly dueMs: number;
  readonly callback: () => void;
}

export class FakeClock implements Clock {
  private nowMs: number;
  private nextId = 1;
  private pending: Pending[] = [];
  /** Every delay passed to setTimeout, as given. */
  readonly delays: number[] = [];

  constructor(
    startMs = 1_000_000,
    private readonly firesEarlyMs = 0,
  ) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    this.delays.push(ms);
    const delay = ms > NODE_TIMEOUT_MAX || ms < 1 || !Number.isFinite(ms) ? 1 : ms;
    // Early by firesEarlyMs when the delay is longer than that (Node's early firings are a fraction of a delay).
    const early = delay > this.firesEarlyMs ? this.firesEarlyMs : 0;
    const id = this.nextId++;
    this.pending.push({ id, dueMs: this.nowMs + delay - early, callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending = this.pending.filter((timer) => timer.id !== handle);
  }

  get pendingTimers(): number {
    return this.pending.length;
  }

  /** Moves time forward to now + ms, firing every timer due on the way in order, letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.nowMs + ms;
    await settle();
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.dueMs > target) break;
      this.pending = this.pending.filter((timer) => timer !== next);
      this.nowMs = Math.max(this.nowMs, next.dueMs);
      next.callback();
      await settle();
    }
    this.nowMs = target;
    await settle();
  }

  /** Fires timers in order until `work` settles (or no timer is left); returns its value. */
  async runUntil<T>(work: Promise<T>): Promise<T> {
    let done = false;
    void work.then(
      () => (done = true),
      () => (done = true),
    );
    await settle();
    // `done` is set by the work's settlement while the clock advances.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    while (!done) {
      const next = this.earliest();
      if (next === undefined) break;
      this.pending = this.pending.filter((timer) => timer !== next);
      this.nowMs = Math.max(this.nowMs, next.dueMs);
      next.callback();
      await settle();
    }
    return work;
  }

  private earliest(): Pending | undefined {
    let best: Pending | undefined;
    for (const timer of this.pending)
      if (
        best === undefined ||
        timer.dueMs < best.dueMs ||
        (timer.dueMs === best.dueMs && timer.id < best.id)
      )
        best = timer;
    return best;
  }
}

/** Lets every promise chain that waits on no real I/O run to its end. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
