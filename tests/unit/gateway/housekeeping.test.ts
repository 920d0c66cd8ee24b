/** Old submissions and unused codes are forgotten (at start and hourly), and a database from a
 *  newer gateway is refused rather than misread. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { DatabaseTooNewError, openDatabase } from '../../../src/gateway/store/database';
import { RawClient, registerUser, startTestGateway } from './gateway-harness';

test('submissions are remembered for submissionMemoryMs, expired codes are dropped', async () => {
  let now = Date.now();
  const t = await startTestGateway({ now: () => now, submissionMemoryMs: 60_000, codeTtlMs: 1000 });
  let c = await RawClient.as(t.gateway.url, 'native');
  const [a, b] = ['+4915500000001', '+4915500000002'];
  const ad = await registerUser(c, a);
  const bd = await registerUser(c, b);
  await c.ok('account.register_request', { phone: '+4915500000003' });
  const submit = { from: { phone: a, deviceId: ad }, to: b, clientMessageId: 'same', messages: [{ deviceId: bd, type: 'whisper' as const, body: 'AAAA' }] };
  assert.equal((await c.ok('message.submit', submit)).duplicate, false);
  assert.equal((await c.ok('message.submit', submit)).duplicate, true);
  await c.close();

  now += 60_001;
  await t.restart();
  c = await RawClient.as(t.gateway.url, 'native');
  assert.equal((await c.ok('message.submit', submit)).duplicate, false, 'forgotten after the memory period');
  await c.close();
  await t.gateway.close();
  const db = new Database(t.dbPath, { readonly: true });
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM verification_codes').get() as { n: number }).n, 0);
  db.close();
  await t.cleanup();
});

test('a database with a newer schema is refused', async () => {
  const t = await startTestGateway();
  await t.gateway.close();
  const db = new Database(t.dbPath);
  db.pragma('user_version = 99');
  db.close();
  assert.throws(() => openDatabase(t.dbPath), DatabaseTooNewError);
  await t.cleanup();
});
