// The bridge's log keeps people's numbers and words out (issue 9, item 8): the real bridge as
// its own process (its whole stdout+stderr in one file), a real Synapse, the real gateway, a
// message each way, then the log is searched for the remote person's number in every form,
// the ghost's Matrix ID and both message bodies. With redaction on none is found; with
// redaction off (the admin asked for full detail) they are, so the search can fail.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LoggingConfig } from '../../src/config/types';
import { ALICE_PHONE, SAM_PHONE, openFaultChat, startFaultWorld } from '../faults/fault-world';
import { messageFrom, simReceivesText } from '../helpers/interop-env';

const FROM_REMOTE = 'the blue door next to the canal';
const FROM_MATRIX = 'see you at the bakery at seven';

/** Runs a chat with one message each way; returns the bridge's whole log and the ghost's ID. */
async function chatLog(name: string, logging: Partial<LoggingConfig>): Promise<{ log: string; ghost: string }> {
  const world = await startFaultWorld(name, { logging });
  try {
    const { alice, sam, ghost, portal } = await openFaultChat(world);
    const mark = await alice.catchUp();
    await sam.sendText(ALICE_PHONE, FROM_REMOTE);
    await alice.waitForEvent(messageFrom(portal, ghost, FROM_REMOTE), { after: mark, timeoutMs: 20_000 });
    const received = simReceivesText(sam, ALICE_PHONE, FROM_MATRIX);
    await alice.sendText(portal, FROM_MATRIX);
    await received;
    // its last lines too (a clean stop), before the log is read
    await world.bridge.stop();
    return { log: readFileSync(join(world.dir, 'bridge.log'), 'utf8'), ghost };
  } finally {
    await world.stop();
  }
}

/** What must not be in the log, by name: each phone in every spelling, the ghost, the bodies. */
function secrets(ghost: string): Record<string, string> {
  return {
    'remote number': SAM_PHONE,
    'remote number without +': SAM_PHONE.slice(1),
    'remote number URL-encoded': encodeURIComponent(SAM_PHONE),
    'ghost ID': ghost,
    "the user's own number without +": ALICE_PHONE.slice(1),
    'message from the remote side': FROM_REMOTE,
    'message from Matrix': FROM_MATRIX,
  };
}

test('with redaction on, not even debug lines show numbers, ghost IDs or message content', async () => {
  // debug, not info: everything the default level logs, and the debug lines that carry whole
  // messages, which must come out redacted
  const { log, ghost } = await chatLog('log-redacted', { level: 'debug', redact: true });
  const found = Object.entries(secrets(ghost)).filter(([, text]) => log.includes(text)).map(([what]) => what);
  assert.deepEqual(found, [], `found in the log:\n${log.split('\n').filter((l) => Object.values(secrets(ghost)).some((s) => l.includes(s))).join('\n')}`);
  const lines = log.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.ok(lines.some((l) => l.component === 'bridge' && /listening on/.test(String(l.msg))), 'JSON lines from the bridge');
  // the messages did pass through the logger: their lines are there, content hidden
  const carried = lines.filter((l) => l.component === 'core' && (l.data as { content?: unknown } | undefined)?.content === '[redacted]');
  assert.ok(carried.length >= 2, `debug lines of both messages with their content redacted; got ${carried.length}`);
});

test('with redaction off at debug, the same chat shows the number, the ghost and both bodies', async () => {
  const { log, ghost } = await chatLog('log-full', { level: 'debug', redact: false });
  const s = secrets(ghost);
  for (const what of ['remote number', 'ghost ID', 'message from the remote side', 'message from Matrix']) {
    assert.ok(log.includes(s[what]), `${what} (${s[what]}) is in the full log`);
  }
});
