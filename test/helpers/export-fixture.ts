// A small export file for the export, show --file and upload tests: two
// requests of one sample each, cluster c1.
import { compress } from 'snappyjs';
import { exportLines, type ExportedRequest } from '../../src/remote-write/export-file.js';
import { encodeWriteRequest } from '../../src/remote-write/encode.js';

const body = (value: number) =>
  compress(
    encodeWriteRequest([
      {
        labels: [
          { name: '__name__', value: 'm' },
          { name: '_id', value: 'c1' },
          { name: 'type', value: 't' },
        ],
        samples: [{ value, timestampMs: 1000 + value }],
      },
    ]),
  );

export const fixtureRequests: readonly ExportedRequest[] = [
  { body: body(1), seriesCount: 1, sampleCount: 1 },
  { body: body(2), seriesCount: 1, sampleCount: 1 },
];

/** The file's text, made at 5 ms after the epoch by edge-telemetry/0.1.0. */
export const fixtureExport = (): string =>
  [
    ...exportLines(
      { createdAtMs: 5, agent: 'edge-telemetry/0.1.0', clusterId: 'c1' },
      fixtureRequests,
    ),
  ].join('\n') + '\n';
