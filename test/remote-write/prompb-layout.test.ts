import t from 'tap';
import { computeLayout } from '../../src/remote-write/prompb.js';
import { WIRE_LAYOUT } from '../../src/remote-write/prompb-layout.generated.js';

t.test(
  'the generated wire layout matches proto/ (run npm run generate after editing proto/)',
  async (t) => {
    t.same(WIRE_LAYOUT, computeLayout());
  },
);
