// Where each destination's progress through the shared buffer is kept:
// dataDir/buffer/cursor-<name>.json, one file per destination, written whole
// and durably (replaceFile) before the buffer forgets anything on its account.
// A release that knows no cursors (segment format 1 is unchanged) ignores
// these files: it sends what the segments hold to its one endpoint.
import { readdir, unlink } from '../base/fs-async.js';
import path from 'node:path';
import { FILE_READ_TIMEOUT_MS, readBoundedFile } from '../base/bounded-file.js';
import { replaceFile, syncDirectory } from '../base/durable-file.js';
import type { Logger } from '../base/log.js';
import { normalizeRanges } from './seq-ranges.js';
import type { DropCounts, DropReason, SeqRange } from './sample-buffer.js';

const PREFIX = 'cursor-';
const SUFFIX = '.json';
/** A cursor of a few thousand ranges is far past anything a send leaves; a larger file is not ours. */
const MAX_CURSOR_FILE_BYTES = 1024 * 1024;
const COUNTED: readonly DropReason[] = ['full', 'age', 'rejected', 'oversized'];

/** What one destination has taken (delivered, or refused for good) and what it lost, by reason. */
export interface CursorState {
  readonly taken: readonly SeqRange[];
  readonly dropped: DropCounts;
  /**
   * The highest taken seq and its sample's timestamp, when written: a buffer
   * that numbered its samples afresh since (an older release ran, segments
   * were restored) holds that seq with another timestamp, and the cursor is
   * not this buffer's any more.
   */
  readonly anchor?: SeqAnchor;
}

export interface SeqAnchor {
  readonly seq: number;
  readonly timestampMs: number;
}

export interface CursorStore {
  /** Every cursor kept, by destination name; a file that cannot be read is logged and read as one that took nothing (its destination gets everything held again). */
  load(): Promise<Map<string, CursorState>>;
  save(name: string, state: CursorState): Promise<void>;
  remove(name: string): Promise<void>;
}

/** For buffer: memory, where a restart loses everything anyway. */
export class MemoryCursorStore implements CursorStore {
  private readonly states = new Map<string, CursorState>();
  async load(): Promise<Map<string, CursorState>> {
    return new Map(this.states);
  }
  async save(name: string, state: CursorState): Promise<void> {
    this.states.set(name, state);
  }
  async remove(name: string): Promise<void> {
    this.states.delete(name);
  }
}

export class CursorFiles implements CursorStore {
  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  private file(name: string): string {
    return path.join(this.dir, `${PREFIX}${name}${SUFFIX}`);
  }

  async load(): Promise<Map<string, CursorState>> {
    const states = new Map<string, CursorState>();
    const names = (await readdir(this.dir)).filter(
      (entry) => entry.startsWith(PREFIX) && entry.endsWith(SUFFIX),
    );
    for (const entry of names.sort()) {
      const name = entry.slice(PREFIX.length, -SUFFIX.length);
      const read = await readBoundedFile(path.join(this.dir, entry), {
        maxBytes: MAX_CURSOR_FILE_BYTES,
        timeoutMs: FILE_READ_TIMEOUT_MS,
      });
      const state = read.ok ? parseCursor(read.text, name) : read.error.message;
      if (typeof state === 'string') {
        // Sending a destination samples twice is better than never: remote-write and OTLP receivers take a repeat.
        this.log.warn(
          'buffer: a destination cursor is unreadable; that destination gets every held sample again',
          {
            file: entry,
            reason: state,
          },
        );
        states.set(name, { taken: [], dropped: {} });
        continue;
      }
      states.set(name, state);
    }
    return states;
  }

  async save(name: string, state: CursorState): Promise<void> {
    const text = JSON.stringify({
      format: 1,
      destination: name,
      taken: state.taken.map((range) => [range.first, range.last]),
      dropped: state.dropped,
      ...(state.anchor === undefined
        ? {}
        : { anchor: [state.anchor.seq, state.anchor.timestampMs] }),
    });
    await replaceFile(this.file(name), [text + '\n'], 0o600, { durable: true });
  }

  async remove(name: string): Promise<void> {
    try {
      await unlink(this.file(name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return;
    }
    await syncDirectory(this.dir);
  }
}

/** The state a file holds, or why it is not one. */
export function parseCursor(text: string, name: string): CursorState | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const file = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  if (file.format !== 1 || file.destination !== name || !Array.isArray(file.taken))
    return 'not a cursor this version writes';
  const taken: SeqRange[] = [];
  for (const pair of file.taken as unknown[]) {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      !pair.every((seq) => Number.isSafeInteger(seq) && (seq as number) > 0) ||
      (pair[0] as number) > (pair[1] as number)
    )
      return 'a taken range is not two ascending seqs';
    taken.push({ first: pair[0] as number, last: pair[1] as number });
  }
  const dropped: Partial<Record<DropReason, number>> = {};
  const counts = (
    typeof file.dropped === 'object' && file.dropped !== null ? file.dropped : {}
  ) as Record<string, unknown>;
  for (const reason of COUNTED) {
    const count = counts[reason];
    if (typeof count === 'number' && Number.isSafeInteger(count) && count > 0)
      dropped[reason] = count;
  }
  const anchor = file.anchor;
  const anchored =
    Array.isArray(anchor) &&
    anchor.length === 2 &&
    Number.isSafeInteger(anchor[0]) &&
    (anchor[0] as number) > 0 &&
    Number.isFinite(anchor[1])
      ? { anchor: { seq: anchor[0] as number, timestampMs: anchor[1] as number } }
      : {};
  return { taken: normalizeRanges(taken), dropped, ...anchored };
}
