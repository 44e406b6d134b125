// The data every part of the pipeline shares. Nothing here does I/O.

export type Labels = Readonly<Record<string, string>>;

/** One observation of one metric, as a collector produces it. */
export interface MetricPoint {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
  readonly timestampMs: number;
}

/** A point as the buffer keeps it: `seq` increases with every append, and a send acknowledges points by ranges of seqs. */
export interface BufferedPoint {
  readonly seq: number;
  readonly point: MetricPoint;
}

export interface Label {
  readonly name: string;
  readonly value: string;
}

export interface Sample {
  readonly value: number;
  readonly timestampMs: number;
}

/** A remote-write time series: labels sorted by name, samples oldest first. */
export interface Series {
  readonly labels: readonly Label[];
  readonly samples: readonly Sample[];
}

export const METRIC_NAME_LABEL = '__name__';
export const CLUSTER_ID_LABEL = '_id';
export const DEPLOYMENT_TYPE_LABEL = 'type';
