// Scrubbing what a receiver echoes back: every form of the token and of the
// bearer, pieces of them, before the text is shortened. Table-driven, then end
// to end through the real CLI against a receiver that echoes the Authorization header.
import t from 'tap';
import { scrubSecrets, REDACTED, MAX_LOGGED_REPLY_CHARS } from '../../src/remote-write/scrub.js';
import { telemeterBearer } from '../../src/remote-write/headers.js';
import { runCli } from '../helpers/cli.js';
import { TOKEN, ownTempDir, writeConfig } from '../helpers/files.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';
import { leak } from '../helpers/secret-leak.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

for (const token of [TOKEN, 'p"a\\ss/wörd+0123456789abcdef', 'short-tok1']) {
  const bearer = telemeterBearer(token, 'cluster-0123');
  const header = `Bearer ${bearer}`;
  const secrets = [token, bearer];
  const cases: [string, string][] = [
    ['raw token', `invalid token ${token} for cluster`],
    ['raw Authorization header', `you sent Authorization: ${header}.`],
    [
      'JSON-escaped header',
      JSON.stringify({ error: 'denied', headers: { authorization: header }, token }),
    ],
    [
      'JSON with escaped slashes',
      JSON.stringify({ authorization: header, token }).replace(/\//g, '\\/'),
    ],
    [
      'JSON with \\u escapes',
      JSON.stringify({ token }).replace(
        /[\u007f-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      ),
    ],
    [
      'URL-encoded',
      `https://elsewhere.example/login?auth=${encodeURIComponent(header)}&t=${encodeURIComponent(token)}`,
    ],
    [
      'URL-encoded, lower-case escapes',
      `auth=${encodeURIComponent(header).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}`,
    ],
    ['base64 of the token', `token=${b64(token)}`],
    ['base64 of the bearer', `bearer=${b64(bearer)}`],
    [
      'base64 of the header line, each alignment',
      [0, 1, 2].map((pad) => b64(`${'x'.repeat(pad)}Authorization: ${header}`)).join(' '),
    ],
    ['base64url of the bearer', b64(bearer).replace(/\+/g, '-').replace(/\//g, '_')],
    ['the bearer cut short by the receiver', `auth header was: ${bearer.slice(0, 60)}...`],
    ['a piece from the middle of the bearer', `…${bearer.slice(20, 70)}…`],
    ['the end of the text cuts the bearer', `header: ${bearer.slice(0, 12)}`],
  ];
  t.test(`every form of a ${token.length}-character token and its bearer`, async (t) => {
    for (const [name, text] of cases) {
      const scrubbed = scrubSecrets(text, secrets);
      t.equal(leak(scrubbed, secrets), undefined, `${name}: nothing left`);
      t.match(scrubbed, REDACTED, `${name}: marked`);
      t.ok(scrubbed.length <= MAX_LOGGED_REPLY_CHARS + '…(truncated)'.length, `${name}: short`);
    }
    // Truncated after scrubbing: the cut falls in the marker, never in the token.
    const long = `${'x'.repeat(MAX_LOGGED_REPLY_CHARS - 5)}${token} trailing`;
    t.equal(
      scrubSecrets(long, secrets),
      `${'x'.repeat(MAX_LOGGED_REPLY_CHARS - 5)}${REDACTED.slice(0, 5)}…(truncated)`,
      'scrubbed before truncating',
    );
  });
}

t.test(
  'a piece of the bearer covering a short token is a secret even below 16 characters',
  async (t) => {
    const token = 'abc123xyz';
    const bearer = telemeterBearer(token, 'a-long-cluster-id-0123456789');
    // The base64 characters that carry the token, and a few around them.
    const at = Buffer.from(bearer, 'base64').indexOf(token);
    const piece = bearer.slice(
      Math.floor((8 * at) / 6) - 1,
      Math.ceil((8 * (at + token.length)) / 6) + 1,
    );
    t.ok(piece.length < 16);
    t.ok(Buffer.from(piece.slice(1), 'base64').toString('latin1').length > 0);
    t.notMatch(scrubSecrets(`got ${piece} here`, [token, bearer]), piece);
  },
);

t.test('ordinary text is left alone; short secrets are not looked for', async (t) => {
  const text = 'HTTP 400: out of bounds: sample for series cluster:cpu_usage_cores:sum is too old';
  t.equal(scrubSecrets(text, [TOKEN, telemeterBearer(TOKEN, 'cluster-0123')]), text);
  t.equal(scrubSecrets('a b c', ['a']), 'a b c');
  t.equal(
    scrubSecrets('x'.repeat(2000), [TOKEN]),
    `${'x'.repeat(MAX_LOGGED_REPLY_CHARS)}…(truncated)`,
  );
});

t.test(
  'end to end: a receiver echoing the Authorization header in a 503 and a 400 and a Location; no log line holds the token or 16 characters of the bearer',
  async (t) => {
    const echo = (request: { headers: Record<string, string | string[] | undefined> }) =>
      String(request.headers.authorization ?? '');
    const receiver = await startScriptedReceiver(
      [
        {
          status: 503,
          body: (request) =>
            JSON.stringify({ error: 'unavailable', echo: echo(request), b64: b64(echo(request)) }),
        },
        { status: 503, body: (request) => `upstream said: ${echo(request).slice(0, 50)}` },
        {
          status: 302,
          headers: (request) => ({
            Location: `https://elsewhere.example/?auth=${encodeURIComponent(echo(request))}`,
          }),
        },
      ],
      { status: 400, body: (request) => `refused ${echo(request)} token=${TOKEN}` },
    );
    t.teardown(receiver.close);
    const dir = await ownTempDir(t);
    const config = await writeConfig(dir, {
      endpoint: receiver.url,
      retry: { maxAttempts: 3, minDelay: '10ms', maxDelay: '20ms' },
    });
    const bearer = telemeterBearer(TOKEN, 'cluster-0123');
    const first = await runCli(['once', '--config', config]);
    t.equal(first.code, 1);
    t.match(first.stderr, /send attempt failed, retrying .*HTTP 503/);
    t.match(
      first.stderr,
      /redirect, not followed .*location="https:\/\/elsewhere\.example\/\?auth=Bearer%20<redacted>"/,
    );
    const second = await runCli(['once', '--config', config]);
    t.match(
      second.stderr,
      /receiver refused the request; its samples are dropped .*body="refused Bearer <redacted> token=<redacted>"/,
    );
    t.equal(receiver.requests.length, 4);
    for (const output of [first.stderr, first.stdout, second.stderr, second.stdout])
      t.equal(leak(output, [TOKEN, bearer]), undefined);
  },
);

t.test(
  'a non-ASCII password echoed back decoded as Latin-1 (a Basic header decoded byte by byte) is scrubbed',
  async (t) => {
    const password = `S3cr"et'%41:wé€rd-ZZ`;
    const credentials = `edgeuser:${password}`;
    const mojibake = Buffer.from(credentials, 'utf8').toString('latin1');
    const echoed = `decoded: ${mojibake} (rejected)`;
    const scrubbed = scrubSecrets(echoed, [password, credentials]);
    t.notMatch(scrubbed, Buffer.from(password, 'utf8').toString('latin1').slice(0, 8));
    t.match(scrubbed, /^decoded: (edgeuser:)?<redacted> \(rejected\)$/);
    t.equal(
      scrubSecrets(JSON.stringify({ decoded: mojibake }), [password]).includes('wÃ©'),
      false,
      'inside JSON too',
    );
  },
);

/**
 * An oracle of its own, not scrub.ts's forms: every decoding a reader could
 * apply to a scrubbed text (case folded, line breaks dropped, NULs dropped,
 * HTML references decoded, hex runs decoded), searched for any 12-character
 * run of the secret, case aside.
 */
function exposed(text: string, secret: string): string | undefined {
  const html = (s: string) =>
    s
      .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
      .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const unhex = (s: string) =>
    s.replace(/(?:[0-9a-f]{2}){6,}/gi, (run) => Buffer.from(run, 'hex').toString('latin1'));
  const decodings = new Set<string>();
  for (const base of [text, text.replace(/\r|\n|\\r|\\n/g, '')]) {
    // eslint-disable-next-line no-control-regex -- the NUL of UTF-16 read as UTF-8
    for (const step of [base, base.replace(/\u0000|\\u0000/g, ''), html(base), unhex(base)])
      decodings.add(step.toLowerCase());
  }
  const wanted = secret.toLowerCase();
  for (const decoded of decodings) {
    for (let start = 0; start + 12 <= wanted.length; start++)
      if (decoded.includes(wanted.slice(start, start + 12))) return wanted.slice(start, start + 12);
  }
  return undefined;
}

t.test(
  'the forms a hostile or odd receiver echoes: hex, UTF-16, HTML entities, case changed, wrapped over lines',
  async (t) => {
    const token = TOKEN;
    const bearer = telemeterBearer(token, 'cluster-0123');
    const secrets = [token, bearer];
    const utf16 = (s: string) => Buffer.from(s, 'utf16le').toString('latin1');
    const cases: [string, string][] = [
      ['hex of the token', `token hex ${Buffer.from(token).toString('hex')} end`],
      ['HEX of the token', `token hex ${Buffer.from(token).toString('hex').toUpperCase()} end`],
      ['hex of the bearer', `bearer ${Buffer.from(bearer).toString('hex')}`],
      ['UTF-16LE read as UTF-8', `echo: ${utf16(`Authorization: Bearer ${bearer}`)}`],
      [
        'UTF-16BE read as UTF-8',
        `echo: ${Buffer.from(token, 'utf16le').swap16().toString('latin1')}`,
      ],
      ['UTF-16 inside JSON', JSON.stringify({ echo: utf16(token) })],
      [
        'HTML decimal references',
        `<p>${Array.from(token, (c) => c)
          .map((c) => `&#${c.charCodeAt(0)};`)
          .join('')}</p>`,
      ],
      [
        'HTML hex references',
        `<p>${Array.from(token, (c) => c)
          .map((c) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`)
          .join('')}</p>`,
      ],
      ['HTML-escaped header', `<pre>Authorization: Bearer ${bearer.replace(/&/g, '&amp;')}</pre>`],
      ['lower-cased', `invalid token ${token.toLowerCase()} / ${bearer.toLowerCase()}`],
      ['upper-cased', `INVALID TOKEN ${token.toUpperCase()}`],
      [
        'the bearer wrapped every 20 characters',
        `bearer:\n${bearer.match(/.{1,20}/g)?.join('\n') ?? ''}\nend`,
      ],
      ['the token split over CRLF', `tok=${token.slice(0, 9)}\r\n${token.slice(9)} end`],
      [
        'the token split by a JSON \\n',
        JSON.stringify({ message: `tok=${token.slice(0, 13)}\n${token.slice(13)}` }),
      ],
    ];
    for (const [name, text] of cases) {
      const scrubbed = scrubSecrets(text, secrets);
      t.equal(
        exposed(scrubbed, token),
        undefined,
        `${name}: no 12-character run of the token in any decoding`,
      );
      t.equal(exposed(scrubbed, bearer), undefined, `${name}: nor of the bearer`);
      t.match(scrubbed, REDACTED, `${name}: marked`);
    }
    t.equal(
      scrubSecrets('a plain 500: upstream busy, try later\nsecond line', secrets),
      'a plain 500: upstream busy, try later\nsecond line',
      'ordinary text untouched',
    );
  },
);
