// Asks a program on PATH a question whose answer only the program's own file
// (microshift's version) or the boot (bootc's booted image) can change, and
// keeps a clean answer in a small file for the next process. A spawn loads
// node:child_process, which stays loaded for the process' life (0.3 to 0.75
// MB resident on Node 24 and 26, docs/footprint.md), and a send wake would pay
// the program's own start each time; a kept answer costs a few stat() calls.
// A program that is not on PATH is not spawned at all.
import { constants } from 'node:fs';
import path from 'node:path';
import { FILE_READ_TIMEOUT_MS, KIB, readBoundedFile } from './bounded-file.js';
import { replaceFile } from './durable-file.js';
import { access, stat } from './fs-async.js';
import { lazyChildProcess } from './lazy-builtins.js';

export interface ProgramQuestion {
  /** A name looked up on PATH, as execvp would (absolute directories only). */
  readonly program: string;
  readonly args: readonly string[];
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  /** The answer in a clean run's stdout; undefined when it holds none (then nothing is kept). */
  readonly read: (stdout: string) => string | undefined;
  /** Whether an answer may be kept and read back: one that fails this is asked each time, a kept one is not ours. */
  readonly accepts: (answer: string) => boolean;
}

/**
 * Where an answer is kept, and for which boot: besides the program's file, a
 * boot changes what both questions answer (bootc's booted image; on an image
 * host, /usr's files carry fixed times, so a new image's microshift may look
 * like the old one to stat).
 */
export interface AnswerKeeping {
  /** The file the answer is kept in, in a directory only this service writes (dataDir). */
  readonly file: string;
  readonly bootId: string;
}

/** systemd's default for services, for a process started without PATH. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin';
const MAX_KEPT_BYTES = 4 * KIB;

interface Found {
  readonly file: string;
  /** Changes whenever the file is replaced, rewritten or re-linked (an update of its package). */
  readonly identity: string;
}

/**
 * The first executable regular file named `program` in PATH's absolute
 * directories. A relative entry (empty, `.`) would run whatever the working
 * directory holds, which a daemon must not.
 */
export async function findOnPath(
  program: string,
  searchPath: string = process.env.PATH ?? DEFAULT_PATH,
): Promise<Found | undefined> {
  for (const dir of searchPath.split(':')) {
    if (!path.isAbsolute(dir)) continue;
    const file = path.join(dir, program);
    try {
      await access(file, constants.X_OK);
      const info = await stat(file, { bigint: true });
      if (!info.isFile()) continue;
      const identity = [info.dev, info.ino, info.size, info.mtimeNs, info.ctimeNs].join(':');
      return { file, identity };
    } catch {
      // Not there, or not ours to run: the next directory, as execvp does.
    }
  }
  return undefined;
}

interface Kept {
  readonly file: string;
  readonly identity: string;
  readonly bootId: string;
  readonly question: string;
  readonly answer: string;
}

const questionOf = (question: ProgramQuestion) => [question.program, ...question.args].join(' ');

/**
 * The kept file, if this process' user wrote it: dataDir may be a directory
 * others can write (an admin's choice), and an answer becomes a label of
 * every report. One owned by another user, or writable by others, is not read.
 */
async function readKept(keeping: AnswerKeeping): Promise<Kept | undefined> {
  const read = await readBoundedFile(keeping.file, {
    maxBytes: MAX_KEPT_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS,
    followSymlinks: false,
  });
  // Owner and mode of the file opened, not of a name that could be renamed over in between.
  if (!read.ok || read.uid !== process.geteuid?.() || (read.mode & 0o022) !== 0) return undefined;
  try {
    const kept = JSON.parse(read.text) as Partial<Record<keyof Kept, unknown>>;
    const strings = [kept.file, kept.identity, kept.bootId, kept.question, kept.answer];
    if (strings.some((value) => typeof value !== 'string')) return undefined;
    return kept as Kept;
  } catch {
    return undefined;
  }
}

function ask(file: string, question: ProgramQuestion, signal: AbortSignal | undefined) {
  return new Promise<string | undefined>((resolve) => {
    lazyChildProcess().execFile(
      file,
      [...question.args],
      {
        timeout: question.timeoutMs,
        maxBuffer: question.maxOutputBytes,
        ...(signal === undefined ? {} : { signal }),
      },
      // Only a clean exit answers; a failure, a timeout or a kill is asked again next time.
      (error, stdout) => resolve(error === null ? question.read(stdout) : undefined),
    );
  });
}

/**
 * The program's answer, or undefined when it is not on PATH, fails, or says
 * nothing. With `keeping`, a kept answer for the same file, question and
 * boot is returned without a spawn, and a new clean answer is kept (a cache:
 * a file that cannot be read or written only means asking again).
 */
export async function askProgram(
  question: ProgramQuestion,
  options: {
    readonly keeping?: AnswerKeeping;
    readonly signal?: AbortSignal;
    readonly searchPath?: string;
  } = {},
): Promise<string | undefined> {
  const found = await findOnPath(question.program, options.searchPath);
  if (found === undefined) return undefined;
  const keeping = options.keeping;
  const wanted = {
    file: found.file,
    identity: found.identity,
    bootId: keeping?.bootId ?? '',
    question: questionOf(question),
  };
  if (keeping !== undefined) {
    const kept = await readKept(keeping);
    if (
      kept !== undefined &&
      kept.file === wanted.file &&
      kept.identity === wanted.identity &&
      kept.bootId === wanted.bootId &&
      kept.question === wanted.question &&
      question.accepts(kept.answer)
    )
      return kept.answer;
  }
  // A stop that came while the file was looked at: no spawn to kill at once.
  if (options.signal?.aborted === true) return undefined;
  const answer = await ask(found.file, question, options.signal);
  if (answer !== undefined && keeping !== undefined && question.accepts(answer)) {
    const text = JSON.stringify({ ...wanted, answer }) + '\n';
    // Not synced: losing it to a power cut costs one spawn.
    if (Buffer.byteLength(text) <= MAX_KEPT_BYTES)
      await replaceFile(keeping.file, [text], 0o644, { durable: false }).catch(() => undefined);
  }
  return answer;
}
