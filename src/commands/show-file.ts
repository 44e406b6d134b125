// `edge-telemetry show --file FILE`: what an export file holds, in the same
// text format `show` prints, without sending anything.
import { FILE_READ_TIMEOUT_MS, readBoundedFile } from '../base/bounded-file.js';
import { parseExport } from '../remote-write/export-file.js';
import { decodeWriteRequest } from '../receiver/decode.js';
import { toExposition } from '../report/exposition.js';
import type { Series } from '../base/model.js';

/** Largest body a request in the file may decode to; the Telemetry API's own limit is far below. */
const MAX_UNCOMPRESSED_BYTES = 32 * 1024 * 1024;

export type ShownFile =
  { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: string };

/** Pure: the file's text to what `show` prints. */
export function describeExport(text: string): ShownFile {
  const parsed = parseExport(text);
  if (!parsed.ok) return parsed;
  const series: Series[] = [];
  for (const [index, request] of parsed.requests.entries()) {
    const verdict = decodeWriteRequest(request.body, MAX_UNCOMPRESSED_BYTES);
    if (!verdict.ok) return { ok: false, reason: `request ${index}: ${verdict.message}` };
    series.push(...verdict.series);
  }
  const { header } = parsed;
  return {
    ok: true,
    text: [
      toExposition(series, {}).trimEnd(),
      '',
      `# export of cluster ${header.clusterId} made ${new Date(header.createdAtMs).toISOString()} by ${header.agent}`,
      `# ${header.requests} requests, ${header.samples} samples; nothing was sent`,
      '',
    ].join('\n'),
  };
}

/** An export of 30 days of a full catalog is tens of MB; far more is not an export. */
const MAX_EXPORT_BYTES = 512 * 1024 * 1024;

export async function showExportFile(file: string): Promise<ShownFile> {
  const read = await readBoundedFile(file, {
    maxBytes: MAX_EXPORT_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS * 12,
  });
  return read.ok ? describeExport(read.text) : { ok: false, reason: read.error.message };
}
