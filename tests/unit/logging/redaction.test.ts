// The logger's own redaction (src/logging): what every log line of the bridge goes through.
// Lines are written by the real factory to a stream the test reads back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogService } from '@vector-im/matrix-bot-sdk';
import { Logger as BridgeLibraryLogger } from 'matrix-appservice-bridge';
import { setupBridgeLogging, type LogSettings } from '../../../src/logging';

const PHONE = '+4915112345678';
const GHOST = `@wa_${PHONE}:example.org`;
const BODY = 'meet me at the station at nine';

/** A bridge logging set up to write into an array of parsed lines. */
function capture(settings: Partial<LogSettings> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const text: string[] = [];
  const destination = {
    write(line: string) {
      text.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
  const logging = setupBridgeLogging({ level: 'info', redact: true, ...settings }, destination);
  return { logging, lines, all: () => text.join('') };
}

/** No form of the number (+49…, 49… digits alone), no ghost ID, no body anywhere in `out`. */
function assertPrivate(out: string): void {
  assert.doesNotMatch(out, /4915112345678/);
  assert.ok(!out.includes(GHOST), 'ghost ID');
  assert.ok(!out.includes(BODY), 'message body');
}

test('numbers and ghost IDs in the message text are replaced by +…, whatever their spelling', () => {
  const { logging, lines, all } = capture();
  const core = logging.component('core');
  core.info(`portal for ${GHOST} (${PHONE}) made`);
  core.warn('profile of', '+49 151 1234 5678', 'not found at', '/profile/%40wa_%2B4915112345678%3Aexample.org', 'escaped @wa_=2b4915112345678:example.org');
  assertPrivate(all());
  assert.equal(lines[0].msg, 'portal for @wa_+…:example.org (+…) made');
  assert.equal(lines[0].component, 'core');
  assert.match(String(lines[1].msg), /%40wa_%2B…%3Aexample\.org/);
});

test('the password of a connection string is hidden, in text and in errors; the rest of the URL stays', () => {
  const { logging, lines, all } = capture();
  const log = logging.component('bridge');
  log.warn('cannot use postgres://bridge:s3cret-pw@db.example.org:5432/bridge?sslmode=require');
  log.error(new Error('connect to postgresql://bridge:s3cret-pw@db.example.org/bridge failed'));
  log.info('homeserver at http://127.0.0.1:8008/_matrix, user @a:b');
  assert.doesNotMatch(all(), /s3cret-pw/);
  assert.equal(lines[0].msg, 'cannot use postgres://bridge:[redacted]@db.example.org:5432/bridge?sslmode=require');
  assert.equal(lines[2].msg, 'homeserver at http://127.0.0.1:8008/_matrix, user @a:b');
});

test('numbers inside objects are replaced; bodies, content and secrets are hidden at any depth', () => {
  const { logging, lines, all } = capture();
  logging.component('transactions').info('event skipped', {
    event: { sender: GHOST, content: { msgtype: 'm.text', body: BODY } },
    remote: [{ from: PHONE, parts: [{ type: 'text', body: BODY }] }],
    deep: { a: { b: { c: { body: BODY, caption: BODY, as_token: 'secret-token' } } } },
    count: 3,
  });
  assertPrivate(all());
  assert.doesNotMatch(all(), /secret-token/);
  const data = lines[0].data as {
    event: { sender: string; content: unknown };
    remote: Array<{ from: string; parts: unknown }>;
    deep: { a: { b: { c: { as_token: unknown } } } };
    count: number;
  };
  assert.equal(data.event.sender, '@wa_+…:example.org');
  assert.equal(data.event.content, '[redacted]');
  assert.equal(data.remote[0].from, '+…');
  assert.equal(data.remote[0].parts, '[redacted]');
  assert.equal(data.deep.a.b.c.as_token, '[redacted]');
  assert.equal(data.count, 3, 'other fields are kept');
});

test('errors keep their type and message, without the numbers, also in the stack and extra fields', () => {
  const { logging, lines, all } = capture();
  const error = Object.assign(new TypeError(`no account ${PHONE}`), {
    errcode: 'M_NOT_FOUND',
    // a refused request's response: kept for its error code, walked for what must go
    body: { errcode: 'M_FORBIDDEN', error: `${GHOST} may not join`, event: { content: { body: BODY } } },
  });
  logging.component('core').error('outbox job 7 failed:', error);
  assertPrivate(all());
  const err = lines[0].err as Record<string, unknown>;
  assert.equal(err.type, 'TypeError');
  assert.equal(err.message, 'no account +…');
  assert.match(String(err.stack), /^TypeError: no account \+…\n/);
  assert.equal(err.errcode, 'M_NOT_FOUND');
  assert.deepEqual(err.body, { errcode: 'M_FORBIDDEN', error: '@wa_+…:example.org may not join', event: { content: '[redacted]' } });
});

test('the bot SDK and matrix-appservice-bridge log into the same logger, redacted', async () => {
  const { lines, all } = capture({ level: 'trace' });
  LogService.warn('Appservice', `could not register ${GHOST}`, { errcode: 'M_FORBIDDEN' });
  LogService.trace('MatrixHttpClient', '(REQ-1)', `body = ${JSON.stringify({ body: BODY })}`);
  new BridgeLibraryLogger('Intent').error(`join failed for ${GHOST}`);
  // winston hands its line to the stream asynchronously
  for (let i = 0; i < 50 && !lines.some((l) => l.component === 'Intent'); i++) await new Promise((r) => setTimeout(r, 10));
  assertPrivate(all());
  assert.ok(lines.some((l) => l.component === 'Appservice' && l.level === 40 && l.msg === 'could not register @wa_+…:example.org'), all());
  assert.ok(lines.some((l) => l.component === 'MatrixHttpClient' && l.msg === '(REQ-1) [payload redacted]'), all());
  assert.ok(lines.some((l) => l.component === 'Intent' && l.level === 50 && l.msg === 'join failed for @wa_+…:example.org'), all());
});

test("the bot SDK's harmless 'User ID is in use' is a debug line, not an error", () => {
  const { lines } = capture({ level: 'debug' });
  LogService.error('Intent', 'Error registering user', { errcode: 'M_USER_IN_USE', error: 'User ID is in use' });
  assert.equal(lines.at(-1)?.level, 20);
});

test('levels: below the configured level nothing is written', () => {
  const { logging, lines } = capture({ level: 'warn' });
  logging.component('core').info('not shown');
  logging.component('core').debug('not shown');
  logging.component('core').warn('shown');
  assert.deepEqual(lines.map((l) => l.msg), ['shown']);
});

test('redact: false (the admin asked for full detail) keeps numbers and bodies', () => {
  const { logging, all } = capture({ level: 'debug', redact: false });
  logging.component('core').debug(`from ${GHOST}`, { content: { body: BODY } }, new Error(`no account ${PHONE}`));
  assert.ok(all().includes(GHOST));
  assert.ok(all().includes(BODY));
  assert.ok(all().includes(`no account ${PHONE}`));
});

test('odd values are logged, not thrown on: cycles, binary data, null, very deep objects', () => {
  const { logging, lines } = capture();
  const cycle: Record<string, unknown> = { name: 'loop' };
  cycle.self = cycle;
  let deep: Record<string, unknown> = { phone: PHONE };
  for (let i = 0; i < 20; i++) deep = { deep };
  logging.component('core').info('odd', cycle, new Uint8Array(4), null, undefined, deep);
  assert.equal(lines.length, 1);
  const data = lines[0].data as unknown[];
  assert.deepEqual(data[0], { name: 'loop', self: '[circular]' });
  assert.equal(data[1], '[4 bytes]');
  assert.doesNotMatch(JSON.stringify(lines[0]), /4915112345678/);
});

test("matrix-appservice-bridge's lines below the level stop at winston, unformatted; at debug they still arrive", async () => {
  capture({ level: 'info' });
  // the library's own transport is fixed at debug: each debug line (two per ghost request)
  // was formatted, written, parsed again and only then dropped
  const transports = BridgeLibraryLogger.root.winston?.transports ?? [];
  assert.ok(transports.length > 0);
  assert.ok(transports.every((t) => t.level === 'info'), transports.map((t) => t.level).join(','));

  const { lines } = capture({ level: 'debug' });
  new BridgeLibraryLogger('Intent').debug('a debug line');
  for (let i = 0; i < 50 && !lines.some((l) => l.msg === 'a debug line'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(lines.some((l) => l.component === 'Intent' && l.level === 20 && l.msg === 'a debug line'));
});
