// Whether parsed JSON is a status.json this version can use, field by field.
// The file lies in dataDir, where a disk, an older or newer release, or a
// hand can leave anything: a wake carries the previous process's status on
// (carryFrom) and `edge-telemetry status` prints it, and a wrong type in
// either used to be an unexpected error at every start of that boot (a
// restart loop under systemd). A status that is not whole and right is
// "unreadable", as a bad wake.json is a fresh start: the status is a
// convenience, never a reason to stop.
import type { DaemonStatus, DestinationStatus } from './status-file.js';
import type { BufferStats } from '../buffer/sample-buffer.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 0;
const isPid = (value: unknown): value is number => isCount(value) && value > 0;
/** A time a Date can show (ECMAScript's ±8.64e15 ms): `status` prints them. */
const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Math.abs(value) <= 8.64e15;
const optional = (value: unknown, check: (value: unknown) => boolean) =>
  value === undefined || check(value);

const isSuccess = (value: unknown) =>
  isObject(value) && isTime(value.atMs) && isCount(value.requests) && isCount(value.samples);
const isError = (value: unknown) =>
  isObject(value) && isTime(value.atMs) && typeof value.reason === 'string';

function isBufferStats(value: unknown): value is BufferStats {
  return (
    isObject(value) &&
    (value.kind === 'disk' || value.kind === 'memory') &&
    isCount(value.samples) &&
    isCount(value.bytesOnDisk) &&
    optional(value.oldestSampleMs, isTime) &&
    isObject(value.dropped) &&
    Object.values(value.dropped).every(isCount)
  );
}

function isDestination(value: unknown): value is DestinationStatus {
  return (
    isObject(value) &&
    typeof value.name === 'string' &&
    typeof value.endpoint === 'string' &&
    typeof value.protocol === 'string' &&
    optional(value.lastSuccess, isSuccess) &&
    optional(value.lastError, isError) &&
    isBufferStats(value.buffer)
  );
}

/** Pure. JSON.stringify leaves out fields that were undefined, so each optional one may be absent. */
export function isDaemonStatus(value: unknown): value is DaemonStatus {
  return (
    isObject(value) &&
    value.format === 1 &&
    isPid(value.pid) &&
    isTime(value.startedAtMs) &&
    isTime(value.updatedAtMs) &&
    typeof value.endpoint === 'string' &&
    optional(value.lastSuccess, isSuccess) &&
    optional(value.lastError, isError) &&
    optional(value.nextSendAtMs, isTime) &&
    isBufferStats(value.buffer) &&
    optional(
      value.destinations,
      (list) => Array.isArray(list) && list.length > 0 && list.every(isDestination),
    ) &&
    optional(
      value.phase,
      (phase) => phase === 'running' || phase === 'waiting' || phase === 'disabled',
    ) &&
    optional(value.wakeAtMs, isTime) &&
    optional(value.launcherPid, isPid)
  );
}
