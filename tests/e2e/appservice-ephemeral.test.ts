// Which transaction key carries ephemeral events (typing, read receipts) from
// the pinned Synapse to an appservice, depending on the registration flags.
// It matters because matrix-appservice 3 (inside matrix-appservice-bridge 11)
// reads only `events` and the unstable `de.sorunome.msc2409.ephemeral` key
// (DESIGN.md, "Known pitfalls"). Three recording appservices share one room:
//   stable: receive_ephemeral: true
//   legacy: de.sorunome.msc2409.push_ephemeral: true
//   both:   both flags
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startSynapse, registerUser } from '../helpers/synapse';
import { clientFor, registerAppserviceUser } from '../helpers/matrix-client';
import { startAppserviceRecorder, type AppserviceRecorder, type RecordedTransaction } from '../helpers/appservice-recorder';

const STABLE = 'ephemeral';
const UNSTABLE = 'de.sorunome.msc2409.ephemeral';
type Variant = 'stable' | 'legacy' | 'both';
const flags: Record<Variant, Record<string, boolean>> = {
  stable: { receive_ephemeral: true },
  legacy: { 'de.sorunome.msc2409.push_ephemeral': true },
  both: { receive_ephemeral: true, 'de.sorunome.msc2409.push_ephemeral': true },
};

function ephemeralUnder(t: RecordedTransaction, key: string): Array<{ type: string; content: Record<string, unknown> }> {
  const list = t.body[key];
  return Array.isArray(list) ? list : [];
}

test('Synapse sends typing and receipts to appservices under the key their registration asks for', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ephemeral-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const variants: Variant[] = ['stable', 'legacy', 'both'];
  const recorders = {} as Record<Variant, AppserviceRecorder>;
  const files: string[] = [];
  for (const v of variants) {
    const hsToken = `hs_${v}_token`;
    recorders[v] = await startAppserviceRecorder(hsToken);
    t.after(() => recorders[v].close());
    const file = join(dir, `${v}.yaml`);
    writeFileSync(file, stringify({
      id: `eph-${v}`, url: recorders[v].url, as_token: `as_${v}_token`, hs_token: hsToken,
      sender_localpart: `eph_${v}_bot`, rate_limited: false, ...flags[v],
      namespaces: { users: [{ exclusive: true, regex: `@eph_${v}_.*:localhost` }], aliases: [], rooms: [] },
    }));
    files.push(file);
  }

  const hs = await startSynapse({ registrationFiles: files, dir: join(dir, 'hs') });
  t.after(() => hs.stop());

  const alice = clientFor(hs.url, await registerUser(hs, 'alice', 'alice-password'));
  const roomId = await alice.createRoom({ preset: 'private_chat' });
  for (const v of variants) {
    const ghost = await registerAppserviceUser(hs.url, `as_${v}_token`, `eph_${v}_ghost`);
    await alice.invite(roomId, ghost.userId);
    await ghost.join(roomId);
  }
  const eventId = await alice.sendText(roomId, 'read me');

  await alice.setTyping(roomId, true);
  await alice.sendReceipt(roomId, eventId);

  const isTyping = (e: { type: string; content: Record<string, unknown> }) =>
    e.type === 'm.typing' && Array.isArray(e.content.user_ids) && e.content.user_ids.includes(alice.userId);
  const isReceipt = (e: { type: string; content: Record<string, unknown> }) =>
    e.type === 'm.receipt' && JSON.stringify(e.content[eventId] ?? {}).includes(alice.userId);

  for (const v of variants) {
    const key = v === 'legacy' ? UNSTABLE : STABLE;
    for (const [what, match] of [['typing', isTyping], ['receipt', isReceipt]] as const) {
      const txn = await recorders[v].waitFor((tx) => ephemeralUnder(tx, key).some(match));
      const stable = ephemeralUnder(txn, STABLE);
      const unstable = ephemeralUnder(txn, UNSTABLE);
      if (v === 'stable') {
        assert.equal(txn.body[UNSTABLE], undefined, `${v} ${what}: unstable key must be absent`);
      } else if (v === 'legacy') {
        assert.equal(txn.body[STABLE], undefined, `${v} ${what}: stable key must be absent`);
      } else {
        assert.deepEqual(unstable, stable, `${v} ${what}: both keys carry the same events`);
      }
      console.log(`# ${v}: ${what} arrived under ${[STABLE, UNSTABLE].filter((k) => txn.body[k] !== undefined).join(' + ')}`);
    }
  }
  // Room messages reach every variant under `events`, whatever the flags.
  for (const v of variants) {
    await recorders[v].waitFor((tx) => Array.isArray(tx.body.events)
      && (tx.body.events as Array<{ event_id?: string }>).some((e) => e.event_id === eventId));
  }
});
