// Node's builtins that a module loads at first use rather than at start. By
// builtinRequire(), not import(): an ES module's import() of a builtin builds its ESM
// facade, every export read once, at a cost on every start (and node:http's
// loads undici; scripts/package.mjs refuses such imports and says more).
import { builtinRequire as load } from './builtin-require.js';
import type * as ChildProcess from 'node:child_process';
import type * as Crypto from 'node:crypto';
import type * as Tls from 'node:tls';
import type * as Zlib from 'node:zlib';

/** node:crypto: half a megabyte of a small daemon's memory, wanted on a first start alone. */
export const lazyCrypto = (): typeof Crypto => load('node:crypto') as typeof Crypto;

/** node:tls: wanted once a kubeconfig is in use, not by a daemon sending host metrics over plain HTTP. */
export const lazyTls = (): typeof Tls => load('node:tls') as typeof Tls;

/** node:child_process (and node:net and node:dgram with it): wanted at a send, to ask microshift and bootc, not at a start that samples. */
export const lazyChildProcess = (): typeof ChildProcess =>
  load('node:child_process') as typeof ChildProcess;

/** node:zlib: wanted for OTLP's gzip at a send; the buffer's CRC-32 is its own (buffer/crc32.ts). */
export const lazyZlib = (): typeof Zlib => load('node:zlib') as typeof Zlib;
