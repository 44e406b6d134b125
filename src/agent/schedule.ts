// The daemon's schedule as pure functions of time and random draws: the
// Agent's timers (periodic.ts, agent.ts) and run.ts's splay follow them, and
// `npm run bench:fleet` simulates 10,000 agents with the same functions.
// Nothing here owns a timer or reads a clock.

/** Where a paused agent's grids stood, by the agent's clock (undefined: not running). */
export interface GridAnchor {
  readonly nextSampleAt: number | undefined;
  readonly nextSendAt: number | undefined;
  /**
   * A send owed outside the grid: a slot whose jitter was drawn and not yet
   * waited out, or a send cut short. It runs at this time (at once when past).
   */
  readonly sendDueAt?: number | undefined;
  /** The first report of this start went (later slots are jittered); absent: false. */
  readonly reported?: boolean;
}

export interface GridIntervals {
  readonly samplingIntervalMs: number;
  readonly sendingIntervalMs: number;
  /** At start (not after a reload), how long the first send waits: the splay drawn for this start. */
  readonly firstSendDelayMs?: number;
}

/** When the first work an anchor holds is due (a sample, a send on the grid, a send owed); undefined: none. */
export function nextDueAt(anchor: GridAnchor): number | undefined {
  return earliest(anchor.nextSampleAt, nextSendDueAt(anchor));
}

/** When the next send an anchor holds is due (one owed, or the grid's next); undefined: none. */
export function nextSendDueAt(anchor: GridAnchor): number | undefined {
  return earliest(anchor.nextSendAt, anchor.sendDueAt);
}

function earliest(...times: (number | undefined)[]): number | undefined {
  const due = times.filter((at): at is number => at !== undefined);
  return due.length === 0 ? undefined : Math.min(...due);
}

/** The splay of one start: uniform over [0, splayMs), whole milliseconds; 0 for no splay. */
export function drawSplayMs(splayMs: number, random: () => number): number {
  return Math.floor(random() * splayMs);
}

/** When slot `slot` of a grid falls: slot 0 at `originMs`, then one every `intervalMs`. */
export function slotAtMs(originMs: number, slot: number, intervalMs: number): number {
  return originMs + slot * intervalMs;
}

/**
 * The slot a grid runs next at `nowMs`: the first one not in the past, and
 * always later than `lastSlot` (-1 before any), so a timer that fires early
 * never runs a slot twice and a late one skips the slots it missed.
 */
export function nextSlot(
  originMs: number,
  intervalMs: number,
  lastSlot: number,
  nowMs: number,
): number {
  return Math.max(lastSlot + 1, Math.ceil((nowMs - originMs) / intervalMs), 0);
}

/**
 * How long send slot `slot` waits past its time. Slot 0 (the first report of
 * this start, after the splay) does not wait; each later one waits a random
 * part of `jitter` × sendingInterval, so a fleet started together spreads
 * within that window. The draw is per slot, not added up: send k stays within
 * [slot k, slot k + jitter × interval). `random` is called only when drawn.
 */
export function sendJitterMs(
  slot: number,
  sendingIntervalMs: number,
  jitter: number,
  random: () => number,
): number {
  if (slot === 0 || jitter <= 0) return 0;
  return Math.floor(random() * jitter * sendingIntervalMs);
}

/**
 * When slot 0 of each grid falls, from `nowMs` (negative: it fell that long
 * ago and runs at once, the grid keeping its phase). At start: sampling at
 * once, sending after the splay. After a reload or a wake (`anchor` given):
 * where the replaced agent's grid had its next run, never later than one new
 * interval from now, so that neither adds a sample or a report nor puts one
 * off; a slot that fell while no agent ran (a wake a little late, a restart
 * after a crash) runs at once, and of several only the last (the others are
 * gone: a sample is of its own time).
 */
export function firstRunsInMs(
  nowMs: number,
  intervals: GridIntervals,
  anchor?: GridAnchor,
): { samplingInMs: number; sendingInMs: number } {
  if (anchor === undefined)
    return { samplingInMs: 0, sendingInMs: intervals.firstSendDelayMs ?? 0 };
  return {
    samplingInMs: resumeInMs(nowMs, anchor.nextSampleAt, intervals.samplingIntervalMs),
    sendingInMs: resumeInMs(nowMs, anchor.nextSendAt, intervals.sendingIntervalMs),
  };
}

/** Slot 0 of a resumed grid, from now: ahead by at most one interval, behind by less than one. */
export function resumeInMs(nowMs: number, atMs: number | undefined, intervalMs: number): number {
  const inMs = (atMs ?? nowMs) - nowMs;
  if (inMs >= 0) return Math.min(intervalMs, inMs);
  // Behind: the latest slot of the old grid that is not in the future.
  return -(-inMs % intervalMs);
}
