// Pure: the air-gap file. An admin carries it from a disconnected node to a
// connected machine and uploads it there. JSON lines, so `head -1` says what it
// is: a header line, one line per ready-to-send remote-write request (the exact
// snappy body, base64, with its own SHA-256), and an end line with the count and
// a SHA-256 over every line before it, so a truncated or edited file is refused
// as a whole. It holds no credential: upload adds the uploader's own.
import { createHash } from 'node:crypto';

export const EXPORT_KIND = 'edge-telemetry-export';
export const EXPORT_FORMAT = 1;

export interface ExportHeader {
  readonly kind: typeof EXPORT_KIND;
  readonly format: typeof EXPORT_FORMAT;
  readonly createdAtMs: number;
  readonly agent: string;
  readonly clusterId: string;
  /** How each body is to be posted (remote-write 1.0). */
  readonly contentType: 'application/x-protobuf';
  readonly contentEncoding: 'snappy';
  readonly requests: number;
  readonly samples: number;
}

export interface ExportedRequest {
  readonly body: Uint8Array;
  readonly seriesCount: number;
  readonly sampleCount: number;
}

interface RequestLine {
  readonly request: number;
  readonly series: number;
  readonly samples: number;
  readonly sha256: string;
  readonly body: string;
}

interface EndLine {
  readonly end: true;
  readonly requests: number;
  readonly sha256: string;
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

/** The file's lines, header first; join them with '\n' (each is one line of JSON). */
export function* exportLines(
  header: Omit<
    ExportHeader,
    'kind' | 'format' | 'contentType' | 'contentEncoding' | 'requests' | 'samples'
  >,
  requests: readonly ExportedRequest[],
): Generator<string> {
  const whole = createHash('sha256');
  const emit = (line: string) => {
    whole.update(line + '\n');
    return line;
  };
  const full: ExportHeader = {
    kind: EXPORT_KIND,
    format: EXPORT_FORMAT,
    ...header,
    contentType: 'application/x-protobuf',
    contentEncoding: 'snappy',
    requests: requests.length,
    samples: requests.reduce((sum, request) => sum + request.sampleCount, 0),
  };
  yield emit(JSON.stringify(full));
  for (const [index, request] of requests.entries()) {
    const line: RequestLine = {
      request: index,
      series: request.seriesCount,
      samples: request.sampleCount,
      sha256: sha256(request.body),
      body: Buffer.from(request.body).toString('base64'),
    };
    yield emit(JSON.stringify(line));
  }
  const end: EndLine = { end: true, requests: requests.length, sha256: whole.digest('hex') };
  yield JSON.stringify(end);
}

export type ParsedExport =
  | {
      readonly ok: true;
      readonly header: ExportHeader;
      readonly requests: readonly ExportedRequest[];
    }
  | { readonly ok: false; readonly reason: string };

/** Checks everything before trusting anything: kind, format, each body's hash, the count and the whole file's hash. */
export function parseExport(text: string): ParsedExport {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const fail = (reason: string): ParsedExport => ({ ok: false, reason });
  const parse = (line: string | undefined): unknown => {
    try {
      return JSON.parse(line ?? '');
    } catch {
      return undefined;
    }
  };
  const header = parse(lines[0]) as Partial<ExportHeader> | undefined;
  if (header?.kind !== EXPORT_KIND) return fail('not an edge-telemetry export file');
  if (header.format !== EXPORT_FORMAT)
    return fail(
      `export format ${String(header.format)} is not one this version reads (${EXPORT_FORMAT})`,
    );
  const end = parse(lines.at(-1)) as Partial<EndLine> | undefined;
  if (lines.length < 2 || end?.end !== true) return fail('the file is cut short (no end line)');
  const whole = createHash('sha256');
  for (const line of lines.slice(0, -1)) whole.update(line + '\n');
  if (whole.digest('hex') !== end.sha256)
    return fail('the file was changed or damaged (checksum mismatch)');
  const requests: ExportedRequest[] = [];
  for (const [index, line] of lines.slice(1, -1).entries()) {
    const entry = parse(line) as Partial<RequestLine> | undefined;
    if (entry === undefined || entry.request !== index || typeof entry.body !== 'string')
      return fail(`request ${index} is malformed`);
    const body = new Uint8Array(Buffer.from(entry.body, 'base64'));
    if (sha256(body) !== entry.sha256)
      return fail(`request ${index} is damaged (checksum mismatch)`);
    requests.push({ body, seriesCount: Number(entry.series), sampleCount: Number(entry.samples) });
  }
  if (requests.length !== end.requests || requests.length !== header.requests)
    return fail('request count does not match the header');
  return { ok: true, header: header as ExportHeader, requests };
}
