// telemetry.protocol and telemetry.destinations: each destination read with
// the rules of the primary's keys, its errors one line naming
// telemetry.destinations[N].key and the file that set it (a drop-in's list
// replaces the main file's whole, RFC 7386).
import t from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validateTelemetry, destinationsOf, type Config } from '../../src/config/schema.js';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { ownTempDir } from '../helpers/files.js';

const FILE = '/etc/edge-telemetry/telemetry.yaml';

const validate = (telemetry: Record<string, unknown>): Config =>
  validateTelemetry(telemetry, FILE, () => undefined);

function errorOf(telemetry: Record<string, unknown>): string {
  try {
    validate(telemetry);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return 'no error';
}

const VM = 'https://vm.example.com/api/v1/write';

t.test('no destinations: the primary alone, remote-write, as before', async (t) => {
  const config = validate({});
  t.equal(config.protocol, 'remote-write');
  t.same(config.destinations, []);
  const all = destinationsOf(config);
  t.equal(all.length, 1);
  t.match(all[0], {
    name: 'primary',
    keyPath: 'telemetry',
    endpoint: 'https://infogw.api.openshift.com/metrics/v1/receive',
    protocol: 'remote-write',
    auth: { type: 'telemeter' },
    maxRequestBytes: 131072,
    requestTimeoutMs: 30000,
    retry: { maxAttempts: 6, minDelayMs: 1000, maxDelayMs: 300000, maxElapsedMs: 900000 },
  });
});

t.test('destinations beside the primary, each with its own keys and defaults', async (t) => {
  const config = validate({
    destinations: [
      { name: 'own', endpoint: VM },
      {
        name: 'otel',
        endpoint: 'https://collector.example.com:4318',
        protocol: 'otlp',
        maxRequestBytes: 4_000_000,
        requestTimeout: '5s',
        retry: { maxAttempts: 3 },
        headers: { 'X-Scope-OrgID': 'edge' },
      },
    ],
  });
  const [primary, own, otel] = destinationsOf(config);
  t.equal(primary?.name, 'primary');
  t.match(own, {
    name: 'own',
    keyPath: 'telemetry.destinations[0]',
    endpoint: VM,
    protocol: 'remote-write',
    auth: { type: 'none' },
    maxRequestBytes: 131072,
  });
  t.match(otel, {
    name: 'otel',
    endpoint: 'https://collector.example.com:4318/v1/metrics',
    protocol: 'otlp',
    auth: { type: 'none' },
    maxRequestBytes: 4_000_000,
    requestTimeoutMs: 5000,
    retry: { maxAttempts: 3, minDelayMs: 1000 },
    headers: [{ name: 'X-Scope-OrgID', value: 'edge', secret: false }],
  });
  t.equal(
    validate({
      destinations: [
        { name: 'o', endpoint: 'https://c.example.com/custom/path', protocol: 'otlp' },
      ],
    }).destinations[0]?.endpoint,
    'https://c.example.com/custom/path',
    'an OTLP URL with a path is used as written',
  );
});

const cases: { name: string; telemetry: Record<string, unknown>; message: string }[] = [
  {
    name: 'destinations not a list',
    telemetry: { destinations: { own: { endpoint: VM } } },
    message:
      'telemetry.destinations: must be a list of destinations (each with name and endpoint; a drop-in that sets it replaces the whole list)',
  },
  {
    name: 'an entry not a mapping',
    telemetry: { destinations: ['https://vm.example.com'] },
    message:
      'telemetry.destinations[0]: must be a mapping of keys (name, endpoint, protocol, auth, …)',
  },
  {
    name: 'unknown key in an entry',
    telemetry: { destinations: [{ name: 'own', endpoint: VM, proxy: 'http://p:3128' }] },
    message: 'telemetry.destinations[0].proxy: unknown key',
  },
  {
    name: 'no name',
    telemetry: { destinations: [{ endpoint: VM }] },
    message:
      'telemetry.destinations[0].name: is required: a name of lower-case letters, digits and "-"',
  },
  {
    name: 'a bad name',
    telemetry: { destinations: [{ name: 'My VM', endpoint: VM }] },
    message:
      'telemetry.destinations[0].name: "My VM" is not a name of lower-case letters, digits and "-" (at most 63, starting and ending with a letter or digit)',
  },
  {
    name: 'the primary’s name',
    telemetry: { destinations: [{ name: 'primary', endpoint: VM }] },
    message:
      'telemetry.destinations[0].name: "primary" is the name of telemetry.endpoint\'s destination; choose another',
  },
  {
    name: 'a name used twice',
    telemetry: {
      destinations: [
        { name: 'own', endpoint: VM },
        { name: 'own', endpoint: 'https://other.example.com/api/v1/write' },
      ],
    },
    message:
      'telemetry.destinations[1].name: "own" is used twice (also telemetry.destinations[0]); names must be unique',
  },
  {
    name: 'the same endpoint and protocol twice',
    telemetry: {
      destinations: [
        { name: 'a', endpoint: VM },
        { name: 'b', endpoint: VM },
      ],
    },
    message: `telemetry.destinations[1].endpoint: telemetry.destinations[0] already sends remote-write to "${VM}"; each destination must differ`,
  },
  {
    name: 'the primary’s endpoint again',
    telemetry: {
      destinations: [
        {
          name: 'again',
          endpoint: 'https://infogw.api.openshift.com/metrics/v1/receive',
          auth: { type: 'telemeter' },
        },
      ],
    },
    message:
      'telemetry.destinations[0].endpoint: telemetry already sends remote-write to "https://infogw.api.openshift.com/metrics/v1/receive"; each destination must differ',
  },
  {
    name: 'Red Hat’s API again, as a bare base URL',
    telemetry: {
      destinations: [
        {
          name: 'again',
          endpoint: 'https://infogw.api.openshift.com/#x',
          auth: { type: 'telemeter' },
        },
      ],
    },
    message:
      'telemetry.destinations[0].endpoint: telemetry already sends remote-write to "https://infogw.api.openshift.com/#x"; each destination must differ',
  },
  {
    name: 'no endpoint',
    telemetry: { destinations: [{ name: 'own' }] },
    message:
      'telemetry.destinations[0].endpoint: is required: the URL this destination receives at',
  },
  {
    name: 'an unknown protocol',
    telemetry: { destinations: [{ name: 'own', endpoint: VM, protocol: 'remote-write-2' }] },
    message:
      'telemetry.destinations[0].protocol: must be remote-write or otlp, not "remote-write-2"',
  },
  {
    name: 'telemeter auth on OTLP',
    telemetry: {
      destinations: [
        {
          name: 'otel',
          endpoint: 'https://c.example.com',
          protocol: 'otlp',
          auth: { type: 'telemeter' },
        },
      ],
    },
    message:
      "telemetry.destinations[0].auth.type: telemeter is Red Hat's Telemetry API's bearer, sent with remote-write only; telemetry.destinations[0].protocol is otlp",
  },
  {
    name: 'OTLP to Red Hat’s API',
    telemetry: { protocol: 'otlp' },
    message:
      "telemetry.protocol: otlp, but telemetry.endpoint is Red Hat's Telemetry API (the default), which takes remote-write only",
  },
  {
    name: 'credentials over plain http off loopback',
    telemetry: {
      destinations: [
        {
          name: 'own',
          endpoint: 'http://vm.example.com/api/v1/write',
          auth: { type: 'bearer', credentialsFile: '/etc/edge-telemetry/vm-token' },
        },
      ],
    },
    message:
      'telemetry.destinations[0].endpoint: "http://vm.example.com/api/v1/write" is plain http to a host that is not loopback: auth type bearer would send its credentials in clear text; use https (or auth type none)',
  },
  {
    name: 'a secret-named header over plain http off loopback',
    telemetry: {
      destinations: [
        {
          name: 'own',
          endpoint: 'http://vm.example.com/api/v1/write',
          headers: { 'X-Api-Key': 'k' },
        },
      ],
    },
    message:
      'telemetry.destinations[0].endpoint: "http://vm.example.com/api/v1/write" is plain http to a host that is not loopback: header X-Api-Key would go in clear text; use https',
  },
  {
    name: 'a reserved header',
    telemetry: { destinations: [{ name: 'own', endpoint: VM, headers: { Authorization: 'x' } }] },
    message:
      'telemetry.destinations[0].headers.Authorization: is reserved: credentials go in telemetry.destinations[0].auth',
  },
  {
    name: 'a key of another auth type',
    telemetry: {
      destinations: [{ name: 'own', endpoint: VM, auth: { type: 'basic', username: 'u' } }],
    },
    message: 'telemetry.destinations[0].auth.passwordFile: is required with auth type basic',
  },
  {
    name: 'tls on http',
    telemetry: {
      destinations: [
        { name: 'own', endpoint: 'http://127.0.0.1:8428/api/v1/write', tls: { caFile: 'ca.pem' } },
      ],
    },
    message:
      'telemetry.destinations[0].tls: is set, but telemetry.destinations[0].endpoint "http://127.0.0.1:8428/api/v1/write" is not https://',
  },
  {
    name: 'retry backwards',
    telemetry: {
      destinations: [{ name: 'own', endpoint: VM, retry: { minDelay: '10m', maxDelay: '1m' } }],
    },
    message:
      'telemetry.destinations[0].retry.minDelay: is longer than telemetry.destinations[0].retry.maxDelay',
  },
];

for (const { name, telemetry, message } of cases) {
  t.test(name, async (t) => {
    t.equal(errorOf(telemetry), `${FILE}: ${message}`);
  });
}

t.test('a drop-in adds destinations; paths in it are relative to it, errors name it', async (t) => {
  const dir = await ownTempDir(t);
  const main = path.join(dir, 'telemetry.yaml');
  await writeFile(
    main,
    'telemetry:\n  destinations:\n    - name: old\n      endpoint: https://old.example.com/api/v1/write\n',
  );
  await mkdir(path.join(dir, 'telemetry.d'));
  const dropIn = path.join(dir, 'telemetry.d', '50-own.yaml');
  await writeFile(
    dropIn,
    'telemetry:\n  destinations:\n    - name: own\n      endpoint: https://vm.example.com/api/v1/write\n      auth:\n        type: bearer\n        credentialsFile: vm-token\n',
  );
  const config = await loadConfig(main);
  t.same(
    config.destinations.map((destination) => destination.name),
    ['own'],
    "the drop-in's list replaces the main file's (RFC 7386)",
  );
  t.match(config.destinations[0]?.auth, {
    type: 'bearer',
    credentialsFile: {
      path: path.join(dir, 'telemetry.d', 'vm-token'),
      key: 'telemetry.destinations[0].auth.credentialsFile',
      setIn: dropIn,
    },
  });
  await writeFile(
    dropIn,
    'telemetry:\n  destinations:\n    - name: Own\n      endpoint: https://vm.example.com\n',
  );
  await t.rejects(loadConfig(main), {
    message: `${dropIn}: telemetry.destinations[0].name: "Own" is not a name of lower-case letters, digits and "-" (at most 63, starting and ending with a letter or digit)`,
  });
});
