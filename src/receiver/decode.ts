// Pure: the checks Red Hat's telemeter server makes on /metrics/v1/receive.
import { uncompress } from 'snappyjs';
import { writeRequestType } from '../remote-write/prompb.js';
import { CLUSTER_ID_LABEL, type Series } from '../base/model.js';

export type Verdict =
  | { readonly ok: true; readonly series: readonly Series[]; readonly clusterId: string }
  | { readonly ok: false; readonly status: number; readonly message: string };

export interface TelemeterAuth {
  readonly authorizationToken: string;
  readonly clusterId: string;
}

/** `Bearer <base64 of {"authorization_token": ..., "cluster_id": ...}>`. */
export function parseTelemeterAuth(header: string | undefined): TelemeterAuth | undefined {
  const match = /^Bearer ([A-Za-z0-9+/=_-]+)$/.exec(header ?? '');
  if (match === null) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(match[1] as string, 'base64').toString('utf8')) as Record<
      string,
      unknown
    >;
    const token = parsed.authorization_token;
    const clusterId = parsed.cluster_id;
    if (
      typeof token !== 'string' ||
      token === '' ||
      typeof clusterId !== 'string' ||
      clusterId === ''
    )
      return undefined;
    return { authorizationToken: token, clusterId };
  } catch {
    return undefined;
  }
}

interface DecodedLabel {
  name?: string;
  value?: string;
}
interface DecodedSample {
  value?: number;
  timestamp?: number | { toNumber(): number };
}
interface DecodedSeries {
  labels?: DecodedLabel[];
  samples?: DecodedSample[];
}

export function decodeWriteRequest(body: Uint8Array, maxUncompressedBytes: number): Verdict {
  let raw: Uint8Array;
  try {
    raw = uncompress(body, maxUncompressedBytes);
  } catch (error) {
    return {
      ok: false,
      status: 400,
      message: `body is not snappy block format: ${(error as Error).message}`,
    };
  }
  let decoded: { timeseries?: DecodedSeries[] };
  try {
    decoded = writeRequestType().decode(raw) as unknown as { timeseries?: DecodedSeries[] };
  } catch (error) {
    return {
      ok: false,
      status: 400,
      message: `body is not a WriteRequest: ${(error as Error).message}`,
    };
  }
  const series: Series[] = (decoded.timeseries ?? []).map((item) => ({
    labels: (item.labels ?? []).map((label) => ({
      name: label.name ?? '',
      value: label.value ?? '',
    })),
    samples: (item.samples ?? []).map((sample) => ({
      value: sample.value ?? 0,
      timestampMs:
        typeof sample.timestamp === 'object'
          ? sample.timestamp.toNumber()
          : (sample.timestamp ?? 0),
    })),
  }));
  let clusterId = '';
  for (const item of series) {
    const ids = item.labels.filter((label) => label.name === CLUSTER_ID_LABEL);
    if (ids.length !== 1)
      return {
        ok: false,
        status: 400,
        message: `a series carries ${ids.length} ${CLUSTER_ID_LABEL} labels, exactly one is required`,
      };
    clusterId = (ids[0] as { value: string }).value;
  }
  return { ok: true, series, clusterId };
}
