// cluster:usage:container_images:sum — images stored on the node: CRI-O's own
// list when readable, else the nodes' status.images.
import { FILE_READ_TIMEOUT_MS, readBoundedFile } from '../../base/bounded-file.js';
import type { Collector } from '../collector.js';
import type { KubeConnection } from '../../kube/connection.js';
import { ACCEPT_JSON } from '../../kube/list-pages.js';
import { listNodes } from './nodes.js';
import { point, settle } from './settle.js';

export const IMAGES_METRIC = 'cluster:usage:container_images:sum';
const HELP = { [IMAGES_METRIC]: 'Container images stored on the node.' };

/** A node with thousands of images keeps a list of a few MB; far more is not that list. */
const MAX_IMAGES_FILE_BYTES = 64 * 1024 * 1024;

/** CRI-O keeps its image list here (containers-storage, overlay driver). */
export const CRIO_IMAGES_FILE = '/var/lib/containers/storage/overlay-images/images.json';

/** Pure: images in CRI-O's containers-storage list. */
export function countStorageImages(json: string): number | undefined {
  try {
    const images = JSON.parse(json) as unknown;
    return Array.isArray(images) ? images.length : undefined;
  } catch {
    return undefined;
  }
}

/** Images on the node's disk: CRI-O's own list when readable, else the nodes' status.images. */
export function imageCountCollector(
  connection: KubeConnection,
  imagesFile: string = CRIO_IMAGES_FILE,
): Collector {
  return {
    name: 'cluster-images',
    kind: 'static',
    help: HELP,
    async collect({ signal, nowMs }) {
      const read = await readBoundedFile(imagesFile, {
        maxBytes: MAX_IMAGES_FILE_BYTES,
        timeoutMs: FILE_READ_TIMEOUT_MS,
      });
      const local = read.ok ? countStorageImages(read.text) : undefined;
      if (local !== undefined) return [point(IMAGES_METRIC, {}, local, nowMs)];
      const api = await connection.get();
      if (api === undefined) return [];
      const nodes = settle(
        connection,
        'nodes-full',
        'node objects',
        await listNodes(api, ACCEPT_JSON, signal),
      );
      if (nodes === undefined) return [];
      const images = nodes.reduce(
        (sum, node) => sum + (Array.isArray(node.status?.images) ? node.status.images.length : 0),
        0,
      );
      return [point(IMAGES_METRIC, {}, images, nowMs)];
    },
  };
}
