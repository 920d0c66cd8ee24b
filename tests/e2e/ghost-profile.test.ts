// A ghost mirrors its contact's network profile: display name (with the number, by config)
// and avatar, and follows changes to them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, deflateSync } from 'node:zlib';
import { botReply, displayName, ghostId, loginMatrixUser, matrixUser, newSim, startInteropEnv } from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

/** a real 1×1 PNG, built here so the bytes are known */
function tinyPng(rgb: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([header, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.from([0, ...rgb]))), chunk('IEND', Buffer.alloc(0))]);
}

test('ghost profile follows the remote profile', async (t) => {
  const env = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { managementRoom } = await loginMatrixUser(env, alice, ALICE_PHONE);
  const sam = await newSim(env, SAM_PHONE, 'native', { displayName: 'Sam Simmons' });
  const ghost = ghostId(env, SAM_PHONE);

  const setAvatar = async (png: Buffer, name: string) => {
    const upload = await sam.connection.request('media.upload', { data: png.toString('base64') });
    await sam.connection.request('profile.set', { phone: SAM_PHONE, displayName: name, avatarMediaId: upload.mediaId });
  };
  const avatarOf = async () => {
    const profile = await alice.request<{ avatar_url?: string }>('GET', `/_matrix/client/v3/profile/${encodeURIComponent(ghost)}`);
    return profile.avatar_url;
  };

  await t.test('start-chat gives the ghost the contact name (with the number) and avatar', async () => {
    const red = tinyPng([255, 0, 0]);
    await setAvatar(red, 'Sam Simmons');
    await botReply(env, alice, managementRoom, `start-chat ${SAM_PHONE}`, /Chat with/);
    assert.equal(await displayName(alice, ghost), 'Sam Simmons (+1 415 555 2671)');
    const mxc = await avatarOf();
    assert.match(String(mxc), /^mxc:\/\//);
    const downloaded = await alice.downloadMedia(String(mxc));
    assert.deepEqual(downloaded.data, red);
    assert.equal(downloaded.contentType, 'image/png');
  });

  await t.test('a changed name and avatar reach the ghost when the profile is read again', async () => {
    const blue = tinyPng([0, 0, 255]);
    await setAvatar(blue, 'Samuel S.');
    await botReply(env, alice, managementRoom, `start-chat ${SAM_PHONE}`, /Chat with/);
    assert.equal(await displayName(alice, ghost), 'Samuel S. (+1 415 555 2671)');
    const downloaded = await alice.downloadMedia(String(await avatarOf()));
    assert.deepEqual(downloaded.data, blue);
  });

  await t.test('an avatar that is no image is not bridged; the name still is', async () => {
    const upload = await sam.connection.request('media.upload', { data: Buffer.from('<svg onload=alert(1)>').toString('base64') });
    const before = await avatarOf();
    await sam.connection.request('profile.set', { phone: SAM_PHONE, displayName: 'Sam', avatarMediaId: upload.mediaId });
    await botReply(env, alice, managementRoom, `start-chat ${SAM_PHONE}`, /Chat with/);
    assert.equal(await displayName(alice, ghost), 'Sam (+1 415 555 2671)');
    assert.equal(await avatarOf(), before);
  });
});
