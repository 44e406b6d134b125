// CRC-32 (IEEE 802.3, the one zlib and gzip use) of a part of `bytes`: zlib's
// own (Node 20.15 and later, 22.2 and later), on a view, so nothing is copied.
import { crc32 as zlibCrc32 } from 'node:zlib';

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return zlibCrc32(bytes.subarray(start, end));
}
