// The identity a report carries, known at start or waited for, each change noticed once.
import t from 'tap';
import { startIdentity, knownIdentity } from '../../src/deliver/identity-source.js';
import type { ClusterIdRead } from '../../src/identity/cluster-id.js';
import { IdentityError, type IdentityErrorCode } from '../../src/identity/errors.js';

const FILE = '/var/lib/microshift/cluster-id';
const ok = (id: string): ClusterIdRead => ({ kind: 'ok', id });
const error = (code: IdentityErrorCode, reason: string): ClusterIdRead => ({
  kind: 'error',
  error: new IdentityError(code, `cluster id file ${FILE}: ${reason}`),
});

/** Answers `reads` in order, the last one for ever after; counts the reads. */
function scripted(reads: ClusterIdRead[]) {
  const calls: string[] = [];
  const read = async (file: string) => {
    calls.push(file);
    return (reads.length > 1 ? reads.shift() : reads[0]) as ClusterIdRead;
  };
  return { read, calls };
}

t.test('known at start: no waiting, no further reads', async (t) => {
  const { read, calls } = scripted([ok('abc')]);
  let asked = 0;
  const deploymentType = async () => {
    asked++;
    return 'microshift-rpm';
  };
  const source = await startIdentity(FILE, '/data', deploymentType, read);
  t.equal(source.knownAtStart, true, 'nothing to look for');
  t.equal(asked, 0, 'the deployment type (bootc status) is not asked at start, only for a report');
  t.same(await source.resolve(), {
    kind: 'known',
    identity: { clusterId: 'abc', deploymentType: 'microshift-rpm' },
  });
  t.same(await source.resolve(), {
    kind: 'known',
    identity: { clusterId: 'abc', deploymentType: 'microshift-rpm' },
  });
  t.equal(calls.length, 1);
  t.equal(asked, 2, "asked at each resolve: the caller's function keeps what it found");
  t.same(await knownIdentity({ clusterId: 'x', deploymentType: 'y' }).resolve(), {
    kind: 'known',
    identity: { clusterId: 'x', deploymentType: 'y' },
  });
});

t.test('a file that exists and is unusable is thrown at start, with its code', async (t) => {
  for (const [code, reason] of [
    ['ECLUSTERID_EMPTY', 'empty'],
    ['ECLUSTERID_UNREADABLE', 'permission denied'],
    ['ECLUSTERID_MALFORMED', 'not an id'],
  ] as const) {
    const { read } = scripted([error(code, reason)]);
    await t.rejects(
      startIdentity(FILE, '/data', async () => 'microshift-rpm', read),
      {
        code,
        message: `cluster id file ${FILE}: ${reason}`,
      },
    );
  }
});

t.test(
  'a missing file is waited for; each change is noticed once; found once, then known',
  async (t) => {
    const { read, calls } = scripted([
      error('ECLUSTERID_MISSING', 'not found'), // at start
      error('ECLUSTERID_MISSING', 'not found'),
      error('ECLUSTERID_MISSING', 'not found'),
      error('ECLUSTERID_EMPTY', 'empty'), // MicroShift is writing it
      ok('d1b0c6a5'),
    ]);
    const source = await startIdentity(FILE, '/data', async () => 'microshift-ostree', read);
    t.equal(source.knownAtStart, false, 'looked for until it is there');
    const first = await source.resolve();
    t.match(first, {
      kind: 'waiting',
      deploymentType: 'microshift-ostree',
      problem: { code: 'ECLUSTERID_MISSING' },
      notice: {
        level: 'warn',
        message: `cluster id file ${FILE} does not exist yet; waiting for it (MicroShift writes it on its first start). Sampling goes on; reports are sent once it appears. Without MicroShift, set telemetry.clusterIdFile: "" for an anonymous id`,
      },
    });
    const second = await source.resolve();
    t.equal(second.kind, 'waiting');
    t.equal(second.notice, undefined, 'the same wait is not noticed twice');
    t.match(await source.resolve(), {
      kind: 'waiting',
      notice: {
        level: 'warn',
        message: `cluster id file ${FILE}: empty; waiting for it to be written`,
      },
    });
    t.same(await source.resolve(), {
      kind: 'known',
      identity: { clusterId: 'd1b0c6a5', deploymentType: 'microshift-ostree' },
      found: true,
      notice: {
        level: 'info',
        message: `cluster id file ${FILE} is there now (cluster id d1b0c6a5); sending`,
      },
    });
    t.same(
      await source.resolve(),
      { kind: 'known', identity: { clusterId: 'd1b0c6a5', deploymentType: 'microshift-ostree' } },
      'found only once',
    );
    t.equal(calls.length, 5, 'no read once known');
  },
);
