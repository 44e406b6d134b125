// The remote-write specification's rules for labels. A series breaking them is
// never sent: Prometheus answers 500 for the whole request, telemeter 400.
import type { Label } from '../base/model.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Lone surrogates cannot be encoded as UTF-8; receivers reject invalid UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Undefined when valid, else why not. Expects labels already sorted by name. */
export function validateSeriesLabels(labels: readonly Label[]): string | undefined {
  if (labels.length === 0) return 'empty label set';
  let previous: string | undefined;
  for (const label of labels) {
    if (previous !== undefined && label.name <= previous) {
      return label.name === previous
        ? `duplicate label name ${label.name}`
        : 'labels not sorted by name';
    }
    previous = label.name;
    if (label.name === '__name__') {
      if (!METRIC_NAME.test(label.value))
        return `invalid metric name ${JSON.stringify(label.value)}`;
    } else if (!LABEL_NAME.test(label.name) || label.name.startsWith('__')) {
      return `invalid label name ${JSON.stringify(label.name)}`;
    }
    if (label.value === '') return `empty value for label ${label.name}`;
    if (LONE_SURROGATE.test(label.value)) return `label ${label.name} is not valid UTF-8`;
  }
  if (!labels.some((label) => label.name === '__name__')) return 'no metric name';
  return undefined;
}
