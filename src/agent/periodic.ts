import type { Logger } from '../base/log.js';
import { longTimeout, systemClock, type Clock, type LongTimer } from '../base/timers.js';
import { nextSlot as nextSlotAt, slotAtMs } from './schedule.js';

export interface Periodic {
  stop(): void;
  /** When the next run is due, by the clock given; undefined once stopped. */
  nextRunAt(): number | undefined;
}

export interface EveryOptions {
  readonly name: string;
  readonly log: Logger;
  /**
   * When slot 0 falls, from now; 0 or less runs it at once (less: it fell
   * that long ago, and slot 1 keeps that phase). Default: one interval.
   */
  readonly firstRunInMs?: number;
  readonly clock?: Clock;
}

/**
 * Runs `task` on a fixed grid of slots: slot k falls at start + firstRunInMs +
 * k·intervalMs. Each slot runs at most once: the slot last run is remembered and
 * the next is always a later one, so a timer that fires early (Node's can, by
 * about a millisecond) re-arms instead of running a slot twice. Runs never
 * overlap: slots that fall while a run is still going are skipped. A failing
 * run is logged and the schedule goes on. Intervals of any length up to a year
 * hold (long timers).
 */
export function every(
  intervalMs: number,
  task: () => Promise<unknown>,
  options: EveryOptions,
): Periodic {
  const clock = options.clock ?? systemClock;
  const origin = clock.now() + (options.firstRunInMs ?? intervalMs);
  let lastSlot = -1;
  let timer: LongTimer | undefined;
  let stopped = false;
  // The first slot not yet in the past, and strictly after the last one run.
  const nextSlot = () => nextSlotAt(origin, intervalMs, lastSlot, clock.now());
  const schedule = () => {
    if (stopped) return;
    const slot = nextSlot();
    timer = longTimeout(() => run(slot), slotAtMs(origin, slot, intervalMs) - clock.now(), clock);
  };
  const run = (slot: number) => {
    timer = undefined;
    if (stopped) return;
    lastSlot = slot;
    task()
      .catch((error: unknown) =>
        options.log.error(`${options.name} failed`, {
          reason: error instanceof Error ? error.message : String(error),
        }),
      )
      .finally(schedule);
  };
  if (options.firstRunInMs !== undefined && options.firstRunInMs <= 0) run(0);
  else schedule();
  return {
    stop() {
      stopped = true;
      timer?.cancel();
      timer = undefined;
    },
    nextRunAt: () => (stopped ? undefined : slotAtMs(origin, nextSlot(), intervalMs)),
  };
}
