import type { Logger } from '../log.js';

export interface Periodic {
  stop(): void;
}

/**
 * Runs `task` every `intervalMs`, on a fixed grid from the first run. Runs
 * never overlap: a tick that falls while the previous run is still going is
 * skipped. A failing run is logged and the schedule goes on.
 */
export function every(
  intervalMs: number,
  task: () => Promise<unknown>,
  options: { name: string; log: Logger; runNow?: boolean; now?: () => number },
): Periodic {
  const now = options.now ?? (() => performance.now());
  const origin = now();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    const elapsed = now() - origin;
    const nextSlot = (Math.floor(elapsed / intervalMs) + 1) * intervalMs;
    timer = setTimeout(run, nextSlot - elapsed);
  };
  const run = () => {
    timer = undefined;
    task()
      .catch((error: unknown) => options.log.error(`${options.name} failed`, { reason: error instanceof Error ? error.message : String(error) }))
      .finally(schedule);
  };
  if (options.runNow === true) run();
  else schedule();
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
