// Counting objects the cheap ways the API server offers, page by page; a page
// is dropped as soon as it is counted.
import type { ApiResult, KubeApi } from './kube-api.js';

export const ACCEPT_METADATA_ONLY =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json';
export const ACCEPT_TABLE = 'application/json;as=Table;g=meta.k8s.io;v=v1, application/json';
export const ACCEPT_JSON = 'application/json';
export const PAGE_LIMIT = 500;
/** Whole objects (pods with their status) are 5-20 KB each: fewer to a page keeps a page far below MAX_JSON_BYTES. */
export const FULL_OBJECTS_PAGE_LIMIT = 100;
/**
 * Pages of one list walked at most: 100,000 objects at PAGE_LIMIT, beyond any
 * edge cluster. An API that hands out continue tokens without end costs this
 * many requests, not one a millisecond for ever.
 */
export const MAX_PAGES = 200;

export interface PageSummary {
  /** Items (List, PartialObjectMetadataList) or rows (Table) on this page. */
  readonly count: number;
  readonly continueToken: string | undefined;
  /** Items after this page; absent when a selector is used and on the last page. */
  readonly remainingItemCount: number | undefined;
}

/** Pure: reads the list envelope of any list form; undefined when it is not one. */
export function summarisePage(body: unknown): PageSummary | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const list = body as {
    items?: unknown;
    rows?: unknown;
    metadata?: { continue?: unknown; remainingItemCount?: unknown };
  };
  const entries = Array.isArray(list.items)
    ? list.items
    : Array.isArray(list.rows)
      ? list.rows
      : undefined;
  if (entries === undefined) return undefined;
  const token = list.metadata?.continue;
  const remaining = list.metadata?.remainingItemCount;
  return {
    count: entries.length,
    continueToken: typeof token === 'string' && token !== '' ? token : undefined,
    remainingItemCount:
      typeof remaining === 'number' && Number.isInteger(remaining) && remaining >= 0
        ? remaining
        : undefined,
  };
}

function withQuery(path: string, query: Readonly<Record<string, string | undefined>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
  return `${path}?${params.toString()}`;
}

/**
 * Walks every page of a list. `perPage` turns each page into a number (by
 * default its item count); the sum is the result. With `shortcut`, a first
 * page of one item that carries remainingItemCount ends the walk at once.
 */
export async function sumPages(
  api: KubeApi,
  path: string,
  options: {
    readonly accept: string;
    readonly fieldSelector?: string;
    readonly includeObject?: 'None' | 'Metadata' | 'Object';
    readonly shortcut?: boolean;
    readonly perPage?: (body: unknown) => number | undefined;
    readonly maxPages?: number;
    /** Rows to a page (PAGE_LIMIT by default). */
    readonly pageLimit?: number;
  },
  signal: AbortSignal,
): Promise<ApiResult<number>> {
  let total = 0;
  let token: string | undefined;
  const seen = new Set<string>();
  const maxPages = options.maxPages ?? MAX_PAGES;
  for (let page = 0; page < maxPages; page++) {
    const limit = options.shortcut === true && page === 0 ? 1 : (options.pageLimit ?? PAGE_LIMIT);
    const result = await api.getJson(
      withQuery(path, {
        limit: String(limit),
        continue: token,
        fieldSelector: options.fieldSelector,
        includeObject: options.includeObject,
      }),
      options.accept,
      signal,
    );
    if (result.kind !== 'ok') return result;
    const summary = summarisePage(result.value);
    if (summary === undefined) return { kind: 'bad-response', reason: `${path}: not a list` };
    const counted = options.perPage === undefined ? summary.count : options.perPage(result.value);
    if (counted === undefined)
      return { kind: 'bad-response', reason: `${path}: unexpected list content` };
    total += counted;
    if (options.shortcut === true && page === 0 && summary.remainingItemCount !== undefined) {
      return { kind: 'ok', value: total + summary.remainingItemCount };
    }
    if (summary.continueToken === undefined) return { kind: 'ok', value: total };
    // The same token again would walk the same pages again, for ever.
    if (seen.has(summary.continueToken))
      return { kind: 'bad-response', reason: `${path}: a continue token came back twice` };
    seen.add(summary.continueToken);
    token = summary.continueToken;
  }
  return { kind: 'bad-response', reason: `${path}: more than ${maxPages} pages` };
}

/** Pure: running containers in one page of full Pod objects. */
export function runningContainersInPods(body: unknown): number | undefined {
  const items = (body as { items?: unknown }).items;
  if (!Array.isArray(items)) return undefined;
  let running = 0;
  for (const pod of items) {
    const statuses = (pod as { status?: { containerStatuses?: unknown } } | null)?.status
      ?.containerStatuses;
    if (!Array.isArray(statuses)) continue;
    for (const status of statuses)
      if ((status as { state?: { running?: unknown } } | null)?.state?.running !== undefined)
        running++;
  }
  return running;
}
