import type { Logger } from '../base/log.js';

/**
 * One warning per problem, not one per tick: a resource that is forbidden
 * stays so for days. When it works again, one line says so.
 *
 * `open` holds the keys of the problems already warned about. The daemon keeps
 * it across the processes of a boot (wake-state.ts): a daemon that exits
 * between ticks must not warn again at every wake for a problem that has not
 * changed. Keys only, never the message, so nothing a server said is kept.
 */
export class ProblemNotices {
  constructor(
    private readonly log: Logger,
    private readonly open: Set<string> = new Set(),
  ) {}

  problem(key: string, message: string, fields?: Record<string, string | number>): void {
    if (this.open.has(key)) return;
    this.open.add(key);
    this.log.warn(message, fields);
  }

  resolved(key: string, message: string): void {
    if (!this.open.delete(key)) return;
    this.log.info(message);
  }
}
