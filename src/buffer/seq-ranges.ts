// Pure: acknowledgements as ranges of seqs, so releasing a batch of any size
// costs one entry when the batch went out whole.
import type { SeqRange } from './sample-buffer.js';

/**
 * The ranges covering `chosen` within `batch` (the batch's seqs, ascending). A
 * range may span seqs absent from the batch: those are no longer held, and
 * acknowledging them is a no-op.
 */
export function rangesWithin(batch: readonly number[], chosen: ReadonlySet<number>): SeqRange[] {
  const ranges: SeqRange[] = [];
  let first: number | undefined;
  let last = 0;
  for (const seq of batch) {
    if (chosen.has(seq)) {
      if (first === undefined) first = seq;
      last = seq;
    } else if (first !== undefined) {
      ranges.push({ first, last });
      first = undefined;
    }
  }
  if (first !== undefined) ranges.push({ first, last });
  return ranges;
}

/** Sorted, merged copy. */
/** Single seqs, in any order, as the fewest ranges. */
export function seqsAsRanges(seqs: readonly number[]): SeqRange[] {
  return normalizeRanges(seqs.map((seq) => ({ first: seq, last: seq })));
}

export function normalizeRanges(ranges: readonly SeqRange[]): SeqRange[] {
  const sorted = ranges
    .filter((range) => range.first <= range.last)
    .sort((a, b) => a.first - b.first);
  const out: { first: number; last: number }[] = [];
  for (const range of sorted) {
    const previous = out[out.length - 1];
    if (previous !== undefined && range.first <= previous.last + 1)
      previous.last = Math.max(previous.last, range.last);
    else out.push({ first: range.first, last: range.last });
  }
  return out;
}

/** Binary search over normalized ranges. */
export function inRanges(ranges: readonly SeqRange[], seq: number): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const range = ranges[middle] as SeqRange;
    if (seq < range.first) high = middle - 1;
    else if (seq > range.last) low = middle + 1;
    else return true;
  }
  return false;
}

/** Whether normalized ranges hold every seq from first to last. */
export function coversAll(ranges: readonly SeqRange[], first: number, last: number): boolean {
  return ranges.some((range) => range.first <= first && range.last >= last);
}

/** Whether any range meets [first, last]. */
export function overlaps(ranges: readonly SeqRange[], first: number, last: number): boolean {
  return ranges.some((range) => range.first <= last && range.last >= first);
}

/** The seqs in both (each normalized), as normalized ranges. */
export function intersectRanges(a: readonly SeqRange[], b: readonly SeqRange[]): SeqRange[] {
  const out: SeqRange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const left = a[i] as SeqRange;
    const right = b[j] as SeqRange;
    const first = Math.max(left.first, right.first);
    const last = Math.min(left.last, right.last);
    if (first <= last) out.push({ first, last });
    if (left.last < right.last) i++;
    else j++;
  }
  return out;
}

/** The seqs of `from` not in `remove` (each normalized), as normalized ranges. */
export function subtractRanges(from: readonly SeqRange[], remove: readonly SeqRange[]): SeqRange[] {
  const out: SeqRange[] = [];
  let j = 0;
  for (const range of from) {
    let first = range.first;
    while (j < remove.length && (remove[j] as SeqRange).last < first) j++;
    let k = j;
    while (k < remove.length && (remove[k] as SeqRange).first <= range.last) {
      const cut = remove[k] as SeqRange;
      if (cut.first > first) out.push({ first, last: cut.first - 1 });
      first = Math.max(first, cut.last + 1);
      k++;
    }
    if (first <= range.last) out.push({ first, last: range.last });
  }
  return out;
}

/** How many seqs normalized ranges hold. */
export function countSeqs(ranges: readonly SeqRange[]): number {
  return ranges.reduce((sum, range) => sum + range.last - range.first + 1, 0);
}
