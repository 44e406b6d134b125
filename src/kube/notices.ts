import type { Logger } from '../base/log.js';

/**
 * One warning per problem, not one per tick: a resource that is forbidden
 * stays so for days. When it works again, one line says so.
 */
export class ProblemNotices {
  private readonly open = new Map<string, string>();

  constructor(private readonly log: Logger) {}

  problem(key: string, message: string, fields?: Record<string, string | number>): void {
    if (this.open.has(key)) return;
    this.open.set(key, message);
    this.log.warn(message, fields);
  }

  resolved(key: string, message: string): void {
    if (!this.open.delete(key)) return;
    this.log.info(message);
  }
}
