// Unsigned LEB128 varints of 0 <= value < 2^53, the one writer both wire
// formats use: protobuf's (remote-write) and the buffer's segment files.

/** Bytes of a varint for 0 <= value < 2^53: a ladder of comparisons, no division. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  if (value < 0x800000000) return 5;
  if (value < 0x40000000000) return 6;
  if (value < 0x2000000000000) return 7;
  return 8;
}

/**
 * Varint of 0 <= value < 2^53. Millisecond timestamps (~2^41) take six bytes:
 * the low 28 bits come straight from a 32-bit view, the rest is then small
 * enough for integer shifts.
 */
export function writeVarint(buffer: Uint8Array, position: number, value: number): number {
  if (value >= 0x10000000) {
    const low = value >>> 0; // value mod 2^32: its low 28 bits are exact
    buffer[position] = (low & 0x7f) | 0x80;
    buffer[position + 1] = ((low >>> 7) & 0x7f) | 0x80;
    buffer[position + 2] = ((low >>> 14) & 0x7f) | 0x80;
    buffer[position + 3] = ((low >>> 21) & 0x7f) | 0x80;
    position += 4;
    value = Math.floor(value / 0x10000000);
  }
  while (value > 0x7f) {
    buffer[position++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buffer[position++] = value;
  return position;
}
