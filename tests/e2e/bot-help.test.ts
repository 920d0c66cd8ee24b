// The first thing a Matrix user does with the bridge, end to end against a
// real Synapse and the real bridge (in-process, start(config)): open a DM with
// the bot, get greeted, ask for help, mistype a command. A user the config does
// not permit is refused, clearly, and gets nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registerUser } from '../helpers/synapse';
import { clientFor, type MatrixClient, type SeenEvent } from '../helpers/matrix-client';
import { startBridgeEnv, TEST_SERVER_NAME } from '../helpers/bridge-env';

const ALICE = `@alice:${TEST_SERVER_NAME}`;

function body(e: { content: Record<string, unknown> }): string {
  return typeof e.content.body === 'string' ? e.content.body : '';
}

/** A message (any msgtype) from `sender` in `roomId`. */
const messageFrom = (roomId: string, sender: string) => (e: SeenEvent) =>
  e.roomId === roomId && e.section === 'timeline' && e.event.type === 'm.room.message' && e.event.sender === sender;

const membership = (roomId: string, userId: string, value: string) => (e: SeenEvent) =>
  e.roomId === roomId && e.section === 'timeline' && e.event.type === 'm.room.member'
  && e.event.state_key === userId && e.event.content.membership === value;

async function sendAndAwaitReply(client: MatrixClient, roomId: string, bot: string, text: string) {
  const mark = await client.catchUp();
  await client.sendText(roomId, text);
  return (await client.waitForEvent(messageFrom(roomId, bot), { after: mark })).event;
}

const REFUSAL_TEXT = /not allowed to use this bridge.*bridge\.permissions/s;

test('bot management room against a real Synapse', async (t) => {
  // Permission by user ID: every test user shares the server name `localhost`,
  // so a domain entry could not leave anyone out.
  const env = await startBridgeEnv({ permissions: { [ALICE]: 'user' } });
  t.after(() => env.stop());
  const bot = env.botUserId;
  assert.equal(bot, `@${env.config.appservice.bot_username}:${TEST_SERVER_NAME}`);

  const alice = clientFor(env.hs.url, await registerUser(env.hs, 'alice', 'alice-password'));
  const mallory = clientFor(env.hs.url, await registerUser(env.hs, 'mallory', 'mallory-password'));
  assert.equal(alice.userId, ALICE);
  const roomId = await alice.createRoom({ invite: [bot], isDirect: true });

  await t.test('the bot joins a DM from a permitted user and greets, pointing to help', async () => {
    await alice.waitForEvent(membership(roomId, bot, 'join'), { timeoutMs: 20_000 });
    const greeting = await alice.waitForEvent(messageFrom(roomId, bot), { timeoutMs: 20_000 });
    assert.equal(greeting.event.content.msgtype, 'm.notice');
    assert.match(body(greeting.event), /management room.*help/s);
  });

  await t.test('help lists exactly the commands a user may run', async () => {
    const reply = await sendAndAwaitReply(alice, roomId, bot, 'help');
    assert.equal(reply.content.msgtype, 'm.notice', 'bot replies are notices, so other bots ignore them');
    const listed = body(reply).split('\n').filter((l) => l.startsWith('• ')).map((l) => l.slice(2).split(/\s/)[0]);
    const expected = env.bridge.commands.visibleTo('user').map((c) => c.name);
    assert.ok(['help', 'version', 'whoami'].every((name) => expected.includes(name)));
    assert.deepEqual(listed, expected);
    assert.equal(reply.content.format, 'org.matrix.custom.html');
    assert.match(String(reply.content.formatted_body), /<code>help \[command\]<\/code>/);
  });

  await t.test('the command prefix works in the management room too', async () => {
    const reply = await sendAndAwaitReply(alice, roomId, bot, `${env.config.bridge.command_prefix} whoami`);
    assert.equal(body(reply), `You are ${ALICE}; bridge permission: user.`);
  });

  await t.test('an unknown command gets a reply naming it and pointing to help', async () => {
    const reply = await sendAndAwaitReply(alice, roomId, bot, 'frobnicate now');
    assert.match(body(reply), /Unknown command "frobnicate"/);
    assert.match(body(reply), /"help"/);
  });

  await t.test('a user the config does not permit who invites the bot gets one refusal; the bot leaves', async () => {
    const dm = await mallory.createRoom({ invite: [bot], isDirect: true });
    const refusal = await mallory.waitForEvent(messageFrom(dm, bot), { timeoutMs: 20_000 });
    assert.match(body(refusal.event), REFUSAL_TEXT);
    const left = await mallory.waitForEvent(membership(dm, bot, 'leave'), { timeoutMs: 20_000 });
    assert.match(String(left.event.content.reason ?? ''), /not permitted/);
    const botMessages = mallory.seen.filter(messageFrom(dm, bot));
    assert.equal(botMessages.length, 1, 'exactly one message: the refusal');
  });

  await t.test("a refused user's command in a shared room gets the refusal, not the command", async () => {
    await alice.invite(roomId, mallory.userId);
    await mallory.join(roomId);
    const mark = await mallory.catchUp();
    await mallory.sendText(roomId, `${env.config.bridge.command_prefix} help`);
    // Barrier: the bridge handles events in order, so once alice's later command
    // is answered, mallory's has been handled too.
    const aliceMark = await alice.catchUp();
    await alice.sendText(roomId, 'version');
    await alice.waitForEvent((e) => messageFrom(roomId, bot)(e) && body(e.event).startsWith('matrix-interop-bridge '), { after: aliceMark });
    await mallory.sync();
    const toMallory = mallory.seen.slice(mark).filter(messageFrom(roomId, bot)).map((e) => body(e.event));
    assert.equal(toMallory.length, 2, `the refusal and alice's version reply: ${JSON.stringify(toMallory)}`);
    assert.match(toMallory[0], REFUSAL_TEXT);
    assert.match(toMallory[1], /^matrix-interop-bridge /);
  });
});
