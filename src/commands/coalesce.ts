// A task asked for many times while it runs runs once more after it, not once
// per ask: a burst of SIGHUPs is one reload (two at most), not one each.

export interface Coalesced {
  request(): void;
  /** Resolves when nothing runs and nothing is asked for. */
  idle(): Promise<void>;
  /** Running or asked for now. */
  busy(): boolean;
}

export function coalescing(
  task: () => Promise<void>,
  onError: (error: unknown) => void,
): Coalesced {
  let running: Promise<void> | undefined;
  let again = false;
  const loop = async () => {
    do {
      again = false;
      await task().catch(onError);
      // `again` is set by request() while the task runs.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    } while (again);
    running = undefined;
  };
  return {
    request() {
      if (running !== undefined) again = true;
      else running = loop();
    },
    idle: () => running ?? Promise.resolve(),
    busy: () => running !== undefined,
  };
}
