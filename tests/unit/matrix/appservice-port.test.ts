// AppserviceMatrixPort over a fake matrix-appservice-bridge: what it asks the library per request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Bridge } from 'matrix-appservice-bridge';
import { AppserviceMatrixPort } from '../../../src/matrix/appservice-port';
import { MatrixRefusedError } from '../../../src/core/errors';

const BOT = '@bot:example.org';
const GHOST = '@wa_+4915112345678:example.org';

/** A bridge whose intents count registration checks; `failRegistration` makes the next one throw. */
function fakeBridge() {
  const checks: string[] = [];
  const sends: string[] = [];
  let failRegistration = false;
  const bridge = {
    getIntent: (user: string) => ({
      ensureRegistered: async () => {
        checks.push(user);
        if (failRegistration) {
          failRegistration = false;
          throw new Error('homeserver down');
        }
        return 'registered=true';
      },
      matrixClient: {
        doRequest: async (_method: string, path: string) => {
          sends.push(`${user} ${path}`);
          return { event_id: `$${sends.length}` };
        },
      },
    }),
  } as unknown as Bridge;
  return { bridge, checks, sends, failNextRegistration: () => (failRegistration = true) };
}

const port = (bridge: Bridge) => new AppserviceMatrixPort(bridge, BOT, 'wa_{phone}', 'example.org', /^@wa_\+\d+:example\.org$/);

test('a ghost is checked for registration once per process, not before every request; the bot never', async () => {
  const fake = fakeBridge();
  const matrix = port(fake.bridge);
  for (let i = 0; i < 3; i++) await matrix.sendEvent(GHOST, '!room:example.org', 'm.room.message', { body: 'hi' }, `txn-${i}`);
  await matrix.sendEvent(BOT, '!room:example.org', 'm.room.message', { body: 'notice' }, 'txn-bot');
  assert.equal(fake.sends.length, 4);
  assert.deepEqual(fake.checks, [GHOST]);
});

test('a registration check that failed is made again on the next request', async () => {
  const fake = fakeBridge();
  const matrix = port(fake.bridge);
  fake.failNextRegistration();
  await assert.rejects(matrix.sendEvent(GHOST, '!room:example.org', 'm.room.message', { body: 'hi' }, 'txn-1'), /homeserver down/);
  await matrix.sendEvent(GHOST, '!room:example.org', 'm.room.message', { body: 'hi' }, 'txn-1');
  assert.deepEqual(fake.checks, [GHOST, GHOST]);
  assert.equal(fake.sends.length, 1);
});

/** A bridge whose bot answers state lookups with `answer` (a value, or an error to throw). */
function stateBridge(answer: () => unknown) {
  return {
    getIntent: () => ({
      ensureRegistered: async () => 'registered=true',
      matrixClient: { getRoomStateEvent: async () => answer() },
    }),
  } as unknown as Bridge;
}

const httpError = (statusCode: number, errcode: string, error: string) => Object.assign(new Error(error), { statusCode, body: { errcode, error } });

test('a room without m.room.encryption is unencrypted; an outage during the lookup is an outage, not "unencrypted"', async () => {
  assert.equal(await port(stateBridge(() => ({ algorithm: 'm.megolm.v1.aes-sha2' }))).isEncrypted('!r:example.org'), true);
  const missing = port(stateBridge(() => { throw httpError(404, 'M_NOT_FOUND', 'Event not found.'); }));
  assert.equal(await missing.isEncrypted('!r:example.org'), false);
  const down = port(stateBridge(() => { throw httpError(502, 'M_UNKNOWN', 'Bad gateway'); }));
  await assert.rejects(down.isEncrypted('!r:example.org'), /homeserver failed/);
  const unreachable = port(stateBridge(() => { throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }); }));
  await assert.rejects(unreachable.isEncrypted('!r:example.org'), /ECONNREFUSED/);
});

test('a user never in the room has no membership; an outage during the lookup throws instead of saying so', async () => {
  assert.equal(await port(stateBridge(() => ({ membership: 'join' }))).membership('!r:example.org', '@a:example.org'), 'join');
  const never = port(stateBridge(() => { throw httpError(404, 'M_NOT_FOUND', 'Event not found.'); }));
  assert.equal(await never.membership('!r:example.org', '@a:example.org'), undefined);
  const down = port(stateBridge(() => { throw httpError(503, 'M_UNKNOWN', 'unavailable'); }));
  await assert.rejects(down.membership('!r:example.org', '@a:example.org'), /homeserver failed/);
});

test('with encryption: an encrypted room gets m.room.encrypted from the sender, shared with joined and invited members; a plain room plaintext; an unreadable state nothing', async () => {
  const sent: { user: string; path: string; body: unknown }[] = [];
  const stateChecks: string[] = [];
  const memberLoads: string[] = [];
  const bridge = {
    getIntent: (user: string) => ({
      ensureRegistered: async () => 'registered=true',
      matrixClient: {
        getRoomStateEvent: async (roomId: string) => {
          stateChecks.push(roomId);
          if (roomId === '!secret:example.org') return { algorithm: 'm.megolm.v1.aes-sha2' };
          throw Object.assign(new Error(roomId === '!plain:example.org' ? 'not found' : 'bad gateway'), { statusCode: roomId === '!plain:example.org' ? 404 : 502 });
        },
        doRequest: async (method: string, path: string, _query: unknown, body: unknown) => {
          if (method === 'GET') {
            memberLoads.push(path);
            return { chunk: [
              { state_key: GHOST, content: { membership: 'join' } }, { state_key: '@alice:example.org', content: { membership: 'invite' } },
              { state_key: '@gone:example.org', content: { membership: 'leave' } },
            ] };
          }
          sent.push({ user, path, body });
          return { event_id: `$${sent.length}` };
        },
      },
    }),
  } as unknown as Bridge;
  const encrypted: unknown[][] = [];
  const matrix = new AppserviceMatrixPort(bridge, BOT, 'wa_{phone}', 'example.org', /^@wa_\+\d+:example\.org$/, {
    encrypt: async (...args) => { encrypted.push(args); return { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'c' }; },
  });
  await matrix.sendEvent(GHOST, '!secret:example.org', 'm.room.message', { body: 'hi' }, 'txn-1');
  assert.deepEqual(encrypted, [[GHOST, '!secret:example.org', [GHOST, '@alice:example.org'], 'm.room.message', { body: 'hi' }]]);
  assert.equal(sent[0].path, '/_matrix/client/v3/rooms/!secret%3Aexample.org/send/m.room.encrypted/txn-1');
  assert.deepEqual(sent[0].body, { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'c' });
  await matrix.sendEvent(GHOST, '!secret:example.org', 'm.room.message', { body: 'again' }, 'txn-2');
  assert.deepEqual(stateChecks, ['!secret:example.org'], 'an encrypted room stays encrypted: checked once');
  assert.equal(memberLoads.length, 1, 'its members loaded once');
  // a member who joins, seen in a transaction, gets the key of the next event
  matrix.observe({ type: 'm.room.member', room_id: '!secret:example.org', state_key: '@bob:example.org', content: { membership: 'join' } });
  await matrix.sendEvent(GHOST, '!secret:example.org', 'm.room.message', { body: 'and bob' }, 'txn-2b');
  assert.deepEqual(encrypted[2][2], [GHOST, '@alice:example.org', '@bob:example.org']);
  sent.splice(2);

  await matrix.sendEvent(GHOST, '!plain:example.org', 'm.room.message', { body: 'hello' }, 'txn-3');
  assert.equal(sent[2].path, '/_matrix/client/v3/rooms/!plain%3Aexample.org/send/m.room.message/txn-3');
  assert.deepEqual(sent[2].body, { body: 'hello' });

  await assert.rejects(matrix.sendEvent(GHOST, '!unknown:example.org', 'm.room.message', { body: 'secret' }, 'txn-4'), /the homeserver failed \(502/);
  assert.equal(sent.length, 3, 'nothing sent into a room whose encryption could not be checked');

  // encryption seen turned on in a transaction counts at once, before any state lookup
  matrix.observe({ type: 'm.room.encryption', room_id: '!unknown:example.org', state_key: '', content: {} });
  await matrix.sendEvent(GHOST, '!unknown:example.org', 'm.room.message', { body: 'secret' }, 'txn-5');
  assert.equal(sent[3].path, '/_matrix/client/v3/rooms/!unknown%3Aexample.org/send/m.room.encrypted/txn-5');
  assert.equal(stateChecks.filter((r) => r === '!unknown:example.org').length, 1, 'only the failed lookup before');
});

test('with encryption: media for an encrypted room is uploaded as ciphertext without a name; a plain room as is; an unreadable state not at all', async () => {
  const uploads: { user: string; bytes: Buffer; type: string; name?: string }[] = [];
  const bridge = {
    getIntent: (user: string) => ({
      ensureRegistered: async () => 'registered=true',
      matrixClient: {
        getRoomStateEvent: async (roomId: string) => {
          if (roomId === '!secret:example.org') return { algorithm: 'm.megolm.v1.aes-sha2' };
          throw Object.assign(new Error('x'), { statusCode: roomId === '!plain:example.org' ? 404 : 502 });
        },
        uploadContent: async (bytes: Buffer, type: string, name?: string) => {
          uploads.push({ user, bytes, type, name });
          return `mxc://example.org/u${uploads.length}`;
        },
      },
    }),
  } as unknown as Bridge;
  const matrix = new AppserviceMatrixPort(bridge, BOT, 'wa_{phone}', 'example.org', /^@wa_\+\d+:example\.org$/, {
    encrypt: async () => ({}),
  });
  const photo = new Uint8Array(Array.from({ length: 300 }, (_, i) => i % 256));

  const sealed = await matrix.uploadRoomMedia(GHOST, '!secret:example.org', photo, 'image/png', 'holiday.png');
  assert.ok(typeof sealed === 'object' && 'file' in sealed);
  assert.equal(sealed.file.url, 'mxc://example.org/u1');
  assert.deepEqual([uploads[0].user, uploads[0].type, uploads[0].name], [GHOST, 'application/octet-stream', undefined]);
  assert.ok(!uploads[0].bytes.equals(Buffer.from(photo)), 'ciphertext, not the photo');
  assert.ok(Buffer.from(await matrix.decryptMedia(new Uint8Array(uploads[0].bytes), sealed.file)).equals(Buffer.from(photo)));
  await assert.rejects(matrix.decryptMedia(new Uint8Array(uploads[0].bytes).slice(1), sealed.file), /could not decrypt the file: .*SHA-256/);

  assert.equal(await matrix.uploadRoomMedia(GHOST, '!plain:example.org', photo, 'image/png', 'holiday.png'), 'mxc://example.org/u2');
  assert.deepEqual([uploads[1].type, uploads[1].name], ['image/png', 'holiday.png']);
  assert.ok(uploads[1].bytes.equals(Buffer.from(photo)));

  await assert.rejects(matrix.uploadRoomMedia(GHOST, '!unknown:example.org', photo, 'image/png'), /the homeserver failed \(502/);
  assert.equal(uploads.length, 2, 'nothing uploaded for a room whose encryption could not be checked');
});

test('without encryption configured, media goes as is even into an encrypted room (the bridge says there it cannot read the room)', async () => {
  const types: string[] = [];
  const bridge = {
    getIntent: () => ({
      ensureRegistered: async () => 'registered=true',
      matrixClient: {
        getRoomStateEvent: async () => ({ algorithm: 'm.megolm.v1.aes-sha2' }),
        uploadContent: async (_bytes: Buffer, type: string) => { types.push(type); return 'mxc://example.org/p'; },
      },
    }),
  } as unknown as Bridge;
  assert.equal(await port(bridge).uploadRoomMedia(GHOST, '!secret:example.org', new Uint8Array([1]), 'image/png'), 'mxc://example.org/p');
  assert.deepEqual(types, ['image/png']);
});

/** A bridge whose rooms are all unencrypted; `mayEncrypt` says who may send m.room.encryption. */
function plainRoomsBridge(mayEncrypt: (user: string) => boolean) {
  const sent: { user: string; path: string }[] = [];
  const stateSent: string[] = [];
  const uploaded: string[] = [];
  const bridge = {
    getIntent: (user: string) => ({
      ensureRegistered: async () => 'registered=true',
      matrixClient: {
        uploadContent: async (_data: Buffer, type: string) => { uploaded.push(type); return 'mxc://example.org/u'; },
        getRoomStateEvent: async () => { throw Object.assign(new Error('not found'), { statusCode: 404 }); },
        sendStateEvent: async (_roomId: string, type: string) => {
          if (!mayEncrypt(user)) throw Object.assign(new Error('forbidden'), { statusCode: 403, body: { errcode: 'M_FORBIDDEN' } });
          stateSent.push(`${user} ${type}`);
          return '$state';
        },
        doRequest: async (method: string, path: string) => {
          if (method === 'GET') return { chunk: [{ state_key: '@alice:example.org', content: { membership: 'join' } }] };
          sent.push({ user, path });
          return { event_id: `$${sent.length}` };
        },
      },
    }),
  } as unknown as Bridge;
  return { bridge, sent, stateSent, uploaded };
}

const encryptor = { encrypt: async () => ({ algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'c' }) };

test('require: a portal without encryption gets it turned on by the bot before the first event, which goes encrypted', async () => {
  const { bridge, sent, stateSent } = plainRoomsBridge(() => true);
  const told: string[] = [];
  const matrix = new AppserviceMatrixPort(bridge, BOT, 'wa_{phone}', 'example.org', /^@wa_\+\d+:example\.org$/, encryptor,
    { applies: async (roomId) => roomId === '!portal:example.org', cannotEncrypt: async (roomId) => { told.push(roomId); } });
  await matrix.sendEvent(GHOST, '!portal:example.org', 'm.room.message', { body: 'hi' }, 'txn-1');
  assert.deepEqual(stateSent, [`${BOT} m.room.encryption`]);
  assert.deepEqual(sent.map((s) => s.path), ['/_matrix/client/v3/rooms/!portal%3Aexample.org/send/m.room.encrypted/txn-1']);
  await matrix.sendEvent(GHOST, '!other:example.org', 'm.room.message', { body: 'hi' }, 'txn-2');
  assert.equal(sent[1].path, '/_matrix/client/v3/rooms/!other%3Aexample.org/send/m.room.message/txn-2', 'a room that is not a portal is left as it is');
  assert.deepEqual(told, []);
});

test('require: when neither the bot nor the sender may turn encryption on, nothing is sent, the refusal is thrown and the owner told', async () => {
  const { bridge, sent } = plainRoomsBridge(() => false);
  const told: string[] = [];
  const matrix = new AppserviceMatrixPort(bridge, BOT, 'wa_{phone}', 'example.org', /^@wa_\+\d+:example\.org$/, encryptor,
    { applies: async () => true, cannotEncrypt: async (roomId) => { told.push(roomId); } });
  await assert.rejects(matrix.sendEvent(GHOST, '!portal:example.org', 'm.room.message', { body: 'secret' }, 'txn-1'),
    (error: Error) => error instanceof MatrixRefusedError && error.status === 403);
  assert.deepEqual(sent, []);
  assert.deepEqual(told, ['!portal:example.org']);
  // the sender (the portal's creating ghost) may, where the bot may not
  const byGhost = plainRoomsBridge((user) => user === GHOST);
  const ghostPort = new AppserviceMatrixPort(byGhost.bridge, BOT, 'wa_{phone}', 'example.org', /^@wa_\+\d+:example\.org$/, encryptor,
    { applies: async () => true, cannotEncrypt: async () => assert.fail('the ghost could') });
  await ghostPort.sendEvent(GHOST, '!portal:example.org', 'm.room.message', { body: 'hi' }, 'txn-1');
  assert.deepEqual(byGhost.stateSent, [`${GHOST} m.room.encryption`]);
});

test('require: media for a plain portal waits for encryption to be turned on and goes up as ciphertext', async () => {
  const { bridge, stateSent, uploaded } = plainRoomsBridge(() => true);
  const matrix = new AppserviceMatrixPort(bridge, BOT, 'wa_{phone}', 'example.org', /^@wa_\+\d+:example\.org$/, encryptor,
    { applies: async (roomId) => roomId === '!portal:example.org', cannotEncrypt: async () => assert.fail('the bot may') });
  const media = await matrix.uploadRoomMedia(GHOST, '!portal:example.org', new Uint8Array([1, 2, 3]), 'image/png', 'cat.png');
  assert.deepEqual(stateSent, [`${BOT} m.room.encryption`], 'encryption first');
  assert.deepEqual(uploaded, ['application/octet-stream'], 'then ciphertext, not the image');
  assert.equal(typeof media === 'object' && media.file.url, 'mxc://example.org/u');
});

test('require: the last guard sends nothing unencrypted into a portal, whatever the path (here: no encryption wired at all)', async () => {
  const { bridge, sent } = plainRoomsBridge(() => true);
  const matrix = new AppserviceMatrixPort(bridge, BOT, 'wa_{phone}', 'example.org', /^@wa_\+\d+:example\.org$/, undefined,
    { applies: async () => true, cannotEncrypt: async () => undefined });
  await assert.rejects(matrix.sendEvent(BOT, '!portal:example.org', 'm.room.message', { body: 'secret' }), /requires encryption/);
  assert.deepEqual(sent, [], 'not one plaintext event');
});
