// CRC-32 (IEEE 802.3, the one zlib and gzip use) of a part of `bytes`, by the
// classic table, in JavaScript. Not zlib's crc32: node:zlib is the only other
// reason the daemon would load zlib (OTLP's gzip loads it when it sends), and
// loading it keeps 0.2 to 0.6 MB of RSS for the daemon's life, over what
// node:https already loads (0.35 MB on 20 and 22, 0.6 MB on 26, whose zlib
// brings internal/zip too). Jitless V8 runs this at about 35 ms per MB: a
// record is a few hundred bytes, and a wake's scan of a 50,000-sample backlog
// (290 KB) takes 10 ms of it. test/buffer/segment-format.test.ts checks it
// against zlib's on random data.
const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = -1;
  for (let i = start; i < end; i++)
    c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
