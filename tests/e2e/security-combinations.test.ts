// The hop-by-hop marking over every combination, end to end (real Synapse, real gateway, the
// real bridge, simulated people): provider with / without end-to-end encryption × Matrix room
// unencrypted / encrypted × identity key unchanged / changed × verified / not. Each of the
// four portals walks the four key × verification states in sequence; in each state a message
// crosses both ways and the test asserts the exact hop trail (against the pure builders and,
// once per direction, against a literal), the exact security room state, and the exact list
// of notices the bot posted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { undeliverableNotice } from '../../src/convert/notices';
import {
  confirmCode, encryptionEnabledNotice, identityChangedNotice, matrixToRemoteTrail, portalCreatedNotice, remoteToMatrixTrail,
  safetyNumberText, securitySummary, toContentHopTrail, unencryptedProviderNotice, type TrailFacts,
} from '../../src/security';
import type { SimUser } from '../../src/sim/sim-user';
import type { MatrixClient } from '../helpers/matrix-client';
import {
  acceptMessageRequest, acceptPortalInvite, botReply, displayName, ghostId, loginMatrixUser, matrixUser, messageFrom, simReceivesText, startInteropEnv,
  type InteropEnv,
} from '../helpers/interop-env';
import {
  embeddedSummary, encryptionPower, fakeMegolmContent, installSim, noticeIs, noticesSince, ownFingerprint, portalSecurityState, reinstallSim,
  simSafetyNumber, trailOf, type SimSpec,
} from '../helpers/security-probe';
import { readHopTrail } from '../helpers/hop-trail-reader';

const ALICE_PHONE = '+4915112345678';
const NOT_DELIVERED = undeliverableNotice('an encrypted message', 'This bridge is set up not to read encrypted Matrix rooms (its admin can change that).').body;

/** One portal of the walk and what the bridge should currently believe about it. */
interface Walker {
  label: string;
  spec: SimSpec;
  e2ee: boolean;
  /** the room gets m.room.encryption right after it is created */
  encryptsRoom: boolean;
  sim?: SimUser;
  ghost: string;
  room: string;
  name: string;
  roomEncrypted: boolean;
  verified: boolean;
  fingerprint: string | null;
  wasVerified: boolean;
}

const WALKERS: Array<Pick<Walker, 'label' | 'spec' | 'e2ee' | 'encryptsRoom'>> = [
  { label: 'e2ee provider, unencrypted room', spec: { phone: '+4915112340001', provider: 'native', displayName: 'Nina Native' }, e2ee: true, encryptsRoom: false },
  { label: 'e2ee provider, encrypted room', spec: { phone: '+4915112340002', provider: 'native', displayName: 'Enzo Native' }, e2ee: true, encryptsRoom: true },
  { label: 'plaintext provider, unencrypted room', spec: { phone: '+4915112340003', provider: 'plainchat', displayName: 'Pia Plain' }, e2ee: false, encryptsRoom: false },
  { label: 'plaintext provider, encrypted room', spec: { phone: '+4915112340004', provider: 'plainchat', displayName: 'Paul Plain' }, e2ee: false, encryptsRoom: true },
];

/** The literal trails of a message with an e2ee contact in an unencrypted room, unverified: if
 *  the pure builders drift, these catch it. */
const LITERAL_REMOTE_TO_MATRIX = {
  version: 1,
  direction: 'remote_to_matrix',
  end_to_end: false,
  hops: [
    { from: 'remote_device', to: 'interop_network', protection: 'signal_e2e', plaintext_at: [] },
    { from: 'interop_network', to: 'bridge', protection: 'signal_e2e', plaintext_at: ['bridge'] },
    { from: 'bridge', to: 'homeserver', protection: 'transport', plaintext_at: ['homeserver'] },
    { from: 'homeserver', to: 'matrix_clients', protection: 'transport', plaintext_at: ['matrix_clients'] },
  ],
  plaintext_exposed_at: ['bridge', 'homeserver'],
  contact: { provider: 'native', e2ee: true, identity_verified: false },
  matrix_room_encrypted: false,
};
const LITERAL_MATRIX_TO_REMOTE = [
  { from: 'matrix-client', to: 'homeserver', protection: 'transport', plaintextAt: ['homeserver'] },
  { from: 'homeserver', to: 'bridge', protection: 'transport', plaintextAt: ['bridge'] },
  { from: 'bridge', to: 'interop-network', protection: 'e2e-signal', plaintextAt: [] },
  { from: 'interop-network', to: 'remote-device', protection: 'e2e-signal', plaintextAt: ['remote-device'] },
];
/** …and with a contact on the plaintext provider: the network reads everything. */
const LITERAL_PLAINTEXT_REMOTE_HOPS = [
  { from: 'remote_device', to: 'interop_network', protection: 'transport', plaintext_at: ['interop_network'] },
  { from: 'interop_network', to: 'bridge', protection: 'transport', plaintext_at: ['bridge'] },
  { from: 'bridge', to: 'homeserver', protection: 'transport', plaintext_at: ['homeserver'] },
  { from: 'homeserver', to: 'matrix_clients', protection: 'transport', plaintext_at: ['matrix_clients'] },
];
const LITERAL_PLAINTEXT_CONTENT_TRAIL = [
  { from: 'matrix-client', to: 'homeserver', protection: 'transport', plaintextAt: ['homeserver'] },
  { from: 'homeserver', to: 'bridge', protection: 'transport', plaintextAt: ['bridge'] },
  { from: 'bridge', to: 'interop-network', protection: 'transport', plaintextAt: ['interop-network'] },
  { from: 'interop-network', to: 'remote-device', protection: 'transport', plaintextAt: ['remote-device'] },
];

function facts(w: Walker): TrailFacts {
  return { contactProvider: w.spec.provider, contactE2ee: w.e2ee, matrixRoomEncrypted: w.roomEncrypted, identityVerified: w.verified };
}

function expectedSummary(w: Walker) {
  return securitySummary(w.roomEncrypted, {
    phone: w.spec.phone, provider: w.spec.provider, e2ee: w.e2ee, identityFingerprint: w.fingerprint, verified: w.verified,
  });
}

/** Polls the room state until it shows `expected` (state is written just after some notices). */
async function assertSecurityState(client: MatrixClient, w: Walker, botUserId: string): Promise<void> {
  const expected = expectedSummary(w);
  const key = `interop/${w.spec.phone}`;
  let state = await portalSecurityState(client, w.room, key);
  for (let i = 0; i < 40 && !deepEquals(state.summary, expected); i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    state = await portalSecurityState(client, w.room, key);
  }
  assert.deepEqual(state.summary, expected, `${w.label}: org.interop_bridge.security state`);
  assert.deepEqual(embeddedSummary(state.mBridge), expected, `${w.label}: summary inside m.bridge`);
  assert.deepEqual(embeddedSummary(state.halfShot), expected, `${w.label}: summary inside uk.half-shot.bridge`);
  assert.equal(state.mBridge?.bridgebot, botUserId);
  assert.deepEqual((state.mBridge?.channel as Record<string, unknown>).id, w.spec.phone);
}

function deepEquals(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

test('hop trails, room state and notices over provider × room encryption × key change × verification', async (t) => {
  const env: InteropEnv = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { managementRoom } = await loginMatrixUser(env, alice, ALICE_PHONE);
  const walkers: Walker[] = WALKERS.map((w) => ({
    ...w, ghost: ghostId(env, w.spec.phone), room: '', name: '', roomEncrypted: false, verified: false, fingerprint: null, wasVerified: false,
  }));
  let networkName = '';

  /** a message from the contact: its Matrix event carries exactly the trail of the current facts */
  async function remoteProbe(w: Walker, text: string) {
    const mark = await alice.catchUp();
    await w.sim!.sendText(ALICE_PHONE, text);
    const ev = (await alice.waitForEvent(messageFrom(w.room, w.ghost, text), { after: mark, timeoutMs: 30_000 })).event;
    assert.ok(readHopTrail(ev.content), `${w.label}: "${text}" has a well-formed trail`);
    assert.deepEqual(trailOf(ev), remoteToMatrixTrail(facts(w)), `${w.label}: trail of "${text}"`);
    return ev;
  }

  /** a message from Alice: delivered with the exact content hop trail, or, in an encrypted
   *  room, answered with a "not delivered" notice and never delivered */
  async function matrixProbe(w: Walker, text: string) {
    const before = w.sim!.received.length;
    if (!w.roomEncrypted) {
      await alice.sendText(w.room, text);
      const got = await simReceivesText(w.sim!, ALICE_PHONE, text, 30_000);
      assert.equal(got.sender.bridged, true, 'the contact is told that Alice sits behind a bridge');
      assert.deepEqual(got.content.hopTrail, toContentHopTrail(matrixToRemoteTrail(facts(w))), `${w.label}: hopTrail of "${text}"`);
      return got;
    }
    const mark = await alice.catchUp();
    await alice.sendEvent(w.room, 'm.room.encrypted', fakeMegolmContent());
    await alice.waitForEvent(noticeIs(w.room, env.botUserId, NOT_DELIVERED), { after: mark, timeoutMs: 20_000 });
    assert.deepEqual(w.sim!.received.slice(before).filter((m) => m.sender.phone === ALICE_PHONE).map((m) => m.content), [],
      `${w.label}: nothing reached the contact`);
    return undefined;
  }

  async function bothWays(w: Walker, state: string) {
    const remote = await remoteProbe(w, `${state}: from ${w.spec.displayName}`);
    const matrix = await matrixProbe(w, `${state}: from Alice to ${w.spec.displayName}`);
    await assertSecurityState(alice, w, env.botUserId);
    return { remote, matrix };
  }

  const notDelivered = (w: Walker) => (w.roomEncrypted ? [NOT_DELIVERED] : []);

  for (const w of walkers) {
    await t.test(`${w.label}: portal created, key unchanged, not verified`, async (st) => {
      w.sim = await installSim(env, w.spec);
      // the contact's identity key is in the room state from the first encrypted message on
      if (w.e2ee) w.fingerprint = await ownFingerprint(w.sim);
      const mark = await alice.catchUp();
      await w.sim.sendText(ALICE_PHONE, 'hello');
      await acceptMessageRequest(env, alice, managementRoom, w.spec.phone, mark);
      w.room = await acceptPortalInvite(alice, w.ghost, { after: mark, timeoutMs: 30_000 });
      const hello = (await alice.waitForEvent(messageFrom(w.room, w.ghost, 'hello'), { after: mark, timeoutMs: 20_000 })).event;
      w.name = (await displayName(alice, w.ghost)) ?? '';
      assert.match(w.name, new RegExp(w.spec.displayName!));
      assert.deepEqual(trailOf(hello), remoteToMatrixTrail(facts(w)));
      const state = await portalSecurityState(alice, w.room, `interop/${w.spec.phone}`);
      networkName = String((state.mBridge?.protocol as Record<string, unknown>).displayname);
      const created = [
        portalCreatedNotice({ contactName: w.name, networkName, contactE2ee: w.e2ee, roomEncrypted: false }).body,
        ...(w.e2ee ? [] : [unencryptedProviderNotice({ contactName: w.name, provider: w.spec.provider, refused: false }).body]),
      ];
      if (w.encryptsRoom) {
        const power = await encryptionPower(alice, w.room, alice.userId);
        await st.test('the portal owner may turn on encryption herself', () => {
          assert.ok(power.has >= power.needed, `m.room.encryption needs power ${power.needed}, Alice has ${power.has}`);
        });
        await alice.sendState(w.room, 'm.room.encryption', '', { algorithm: 'm.megolm.v1.aes-sha2' });
        await alice.waitForEvent(noticeIs(w.room, env.botUserId, encryptionEnabledNotice().body), { after: mark, timeoutMs: 20_000 });
        w.roomEncrypted = true;
      }
      const sent = await bothWays(w, 'unchanged, unverified');
      if (!w.encryptsRoom) {
        // literals, so that a bug in the builders cannot hide behind the builders
        const remoteTrail = trailOf(sent.remote) as { hops: unknown; plaintext_exposed_at: unknown };
        if (w.e2ee) {
          assert.deepEqual(remoteTrail, LITERAL_REMOTE_TO_MATRIX);
          assert.deepEqual(sent.matrix?.content.hopTrail, LITERAL_MATRIX_TO_REMOTE);
        } else {
          assert.deepEqual(remoteTrail.hops, LITERAL_PLAINTEXT_REMOTE_HOPS);
          assert.deepEqual(remoteTrail.plaintext_exposed_at, ['interop_network', 'bridge', 'homeserver']);
          assert.deepEqual(sent.matrix?.content.hopTrail, LITERAL_PLAINTEXT_CONTENT_TRAIL);
        }
      }
      // the portal-created notice already knows the contact's provider: the message that created it said
      assert.deepEqual(noticesSince(alice, w.room, env.botUserId, mark), [
        ...created, ...(w.encryptsRoom ? [encryptionEnabledNotice().body] : []), ...notDelivered(w),
      ]);
    });

    await t.test(`${w.label}: key unchanged, verified`, async () => {
      const mark = await alice.catchUp();
      if (w.e2ee) {
        const safetyNumber = await simSafetyNumber(w.sim!, ALICE_PHONE);
        const shown = await botReply(env, alice, managementRoom, `verify ${w.spec.phone}`, /Safety number/);
        assert.equal(shown.content.body, safetyNumberText({ contactName: w.name, safetyNumber, verified: false, phone: w.spec.phone }).body);
        await botReply(env, alice, managementRoom, `verify ${w.spec.phone} confirm ${confirmCode([safetyNumber])}`, /marked verified/);
        w.verified = true;
        const again = await botReply(env, alice, managementRoom, `verify ${w.spec.phone}`, /Safety number/);
        assert.equal(again.content.body, safetyNumberText({ contactName: w.name, safetyNumber, verified: true, phone: w.spec.phone }).body);
      } else {
        // a provider without end-to-end encryption has no identity key: nothing to compare or verify
        for (const command of [`verify ${w.spec.phone}`, `verify ${w.spec.phone} confirm`]) {
          const reply = String((await botReply(env, alice, managementRoom, command)).content.body);
          assert.match(reply, /no end-to-end encryption/i, `"${command}" says why there is nothing to verify`);
          assert.doesNotMatch(reply, /marked verified/);
        }
      }
      await bothWays(w, 'unchanged, verified');
      assert.deepEqual(noticesSince(alice, w.room, env.botUserId, mark), notDelivered(w), 'verifying posts nothing in the portal');
    });

    await t.test(`${w.label}: key changed, not verified`, async () => {
      const mark = await alice.catchUp();
      w.wasVerified = w.verified;
      w.sim = await reinstallSim(env, w.sim!, w.spec);
      if (w.e2ee) {
        w.verified = false;
        w.fingerprint = await ownFingerprint(w.sim);
      }
      await remoteProbe(w, 'changed, unverified: from the new install');
      const keyNotices = w.e2ee
        ? [identityChangedNotice({
          contactName: w.name, safetyNumber: await simSafetyNumber(w.sim, ALICE_PHONE), wasVerified: w.wasVerified, held: false, phone: w.spec.phone,
        }).body]
        : [];
      await matrixProbe(w, 'changed, unverified: from Alice to the new install');
      await assertSecurityState(alice, w, env.botUserId);
      assert.deepEqual(noticesSince(alice, w.room, env.botUserId, mark), [...keyNotices, ...notDelivered(w)]);
    });

    await t.test(`${w.label}: key changed, verified`, async (st) => {
      const mark = await alice.catchUp();
      if (w.e2ee) {
        const safetyNumber = await simSafetyNumber(w.sim!, ALICE_PHONE);
        const shown = await botReply(env, alice, managementRoom, `verify ${w.spec.phone}`, /Safety number/);
        // even where the bridge has not sent to the new install yet (encrypted room), the new key is shown
        await st.test('`verify` shows the safety number of the new key', () => {
          assert.equal(shown.content.body, safetyNumberText({ contactName: w.name, safetyNumber, verified: false, phone: w.spec.phone }).body);
        });
        await botReply(env, alice, managementRoom, `verify ${w.spec.phone} confirm ${confirmCode([safetyNumber])}`, /marked verified/);
        w.verified = true;
      } else {
        const reply = String((await botReply(env, alice, managementRoom, `verify ${w.spec.phone} confirm`)).content.body);
        assert.doesNotMatch(reply, /marked verified/);
      }
      await bothWays(w, 'changed, verified');
      assert.deepEqual(noticesSince(alice, w.room, env.botUserId, mark), notDelivered(w));
    });
  }
});
