// The bridge bot with the real store and command registry, over a fake Matrix identity:
// a command's receipt is durable (accepted before the transaction is answered, done once
// finished, answered as interrupted after a restart), a retried event does not run a
// command twice, and a command refuses arguments it does not declare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load';
import { SqliteBridgeStore } from '../../../src/store';
import { BridgeBot, type BotIdentity } from '../../../src/matrix/bot';
import { CommandRegistry, type Command } from '../../../src/matrix/commands/registry';
import { builtinCommands } from '../../../src/matrix/commands/builtin';
import type { MatrixEvent } from '../../../src/matrix/transaction-intake';
import { repoRoot } from '../../helpers/synapse';

const ALICE = '@alice:hs';
const ROOM = '!mgmt:hs';
const BOT = '@interopbot:hs';

class FakeIdentity implements BotIdentity {
  readonly sent: { roomId: string; body: string }[] = [];
  readonly joined: string[] = [];
  async join(roomId: string) {
    this.joined.push(roomId);
  }
  async leave() {}
  async sendMessage(roomId: string, content: Record<string, unknown>) {
    this.sent.push({ roomId, body: String(content.body) });
  }
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function setup(
  t: { after(fn: () => unknown): void }, extra: Command[] = [], userGuideUrl?: string, expectsCode?: (mxid: string) => boolean,
) {
  const dir = mkdtempSync(join(tmpdir(), 'bot-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'), 'config.sample.yaml');
  config.bridge.permissions = { [ALICE]: 'user' };
  const path = join(dir, 'bridge.db');
  const open = () => {
    const store = SqliteBridgeStore.open(path);
    const commands = new CommandRegistry();
    commands.register(...builtinCommands(commands, '1.2.3', config.bridge.command_prefix, userGuideUrl), ...extra);
    const identity = new FakeIdentity();
    const bot = new BridgeBot(BOT, config, store, commands, identity, quiet, () => false, expectsCode && (async (mxid: string) => expectsCode(mxid)));
    return { store, bot, identity };
  };
  const first = open();
  await first.store.users.ensure(ALICE);
  await first.store.users.setManagementRoom(ALICE, ROOM);
  return { ...first, reopen: open };
}

let n = 0;
const text = (body: string): MatrixEvent => ({
  type: 'm.room.message', event_id: `$cmd${++n}`, room_id: ROOM, sender: ALICE, content: { msgtype: 'm.text', body },
});

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

test('a command is recorded before it runs and marked done once it has answered', async (t) => {
  let release!: () => void;
  const slow: Command = {
    name: 'slow', help: 'waits', permission: 'user', args: [],
    handler: async (ctx) => {
      await new Promise<void>((r) => (release = r));
      await ctx.reply('slow done');
    },
  };
  const { store, bot, identity } = await setup(t, [slow]);
  const event = text('slow');
  await bot.accept(event);
  assert.deepEqual((await store.botCommands.pending()).map((c) => [c.eventId, c.name]), [[event.event_id, 'slow']], 'durable before the transaction is answered');
  await bot.accept(event);
  await settle();
  release();
  await bot.stop();
  assert.deepEqual(identity.sent.map((s) => s.body), ['slow done'], 'a retried event does not run the command twice');
  assert.deepEqual(await store.botCommands.pending(), []);
  await store.close();
});

test('a command interrupted by a restart is answered "interrupted, send it again", not re-run', async (t) => {
  let runs = 0;
  const hang: Command = {
    name: 'hang', help: 'never finishes', permission: 'user', args: [],
    handler: () => {
      runs += 1;
      return new Promise(() => undefined);
    },
  };
  const { store, bot, reopen } = await setup(t, [hang]);
  await bot.accept(text('hang'));
  // an invite queued behind it (same room), not yet handled, is handled after the restart
  await bot.accept({ type: 'm.room.member', event_id: '$invite', room_id: ROOM, sender: ALICE, state_key: BOT, content: { membership: 'invite' } });
  await settle();
  const stopping = Date.now();
  await bot.stop();
  assert.ok(Date.now() - stopping < 10_000, 'stop does not wait for a command that never finishes');
  await store.close();

  const again = reopen();
  await again.bot.resumeInterrupted();
  await again.bot.stop();
  assert.equal(runs, 1, 'the interrupted command is not run again');
  const replies = again.identity.sent.map((s) => s.body);
  assert.equal(replies.length, 2, replies.join('\n'));
  assert.equal(replies[0], 'Your command "hang" was interrupted by a bridge restart before it finished; please send it again.');
  assert.match(replies[1], /management room/, 'the interrupted invite is handled: the bot joins and greets');
  assert.deepEqual(again.identity.joined, [ROOM]);
  assert.deepEqual(await again.store.botCommands.pending(), [], 'answered once: the next start says nothing');
  // what is kept of a command: its name, never its arguments
  const row = again.store.connection.prepare('SELECT * FROM bot_commands WHERE name = ?').get('hang');
  assert.ok(row && !JSON.stringify(row).includes('+49'));
  await again.store.close();
});

test('a command refuses arguments it does not declare, and says so', async (t) => {
  let ran = 0;
  const declared: Command[] = [
    { name: 'nothing', help: 'takes none', permission: 'user', args: [], handler: async () => void (ran += 1) },
    { name: 'number', help: 'takes a number', permission: 'user', args: [{ name: 'phone number', required: true, rest: true }], handler: async (ctx) => ctx.reply(`got ${ctx.args.length} word(s)`) },
    { name: 'pair', help: 'takes two', permission: 'user', args: [{ name: 'a', required: true }, { name: 'b' }], handler: async (ctx) => ctx.reply(`pair ${ctx.args.join(',')}`) },
  ];
  const { store, bot, identity } = await setup(t, declared);
  for (const body of ['nothing +4915112345678', 'version now', 'number', 'number +49 151 1234 5678', 'pair x y z', 'pair x', 'help', 'help PAIR', 'help me now']) {
    await bot.accept(text(body));
  }
  await bot.stop();
  const replies = identity.sent.map((s) => s.body);
  assert.equal(ran, 0, 'a command given words it does not take never runs');
  assert.equal(replies[0], '"nothing" takes no arguments, but 1 was given; nothing was done. Usage: nothing');
  assert.match(replies[1], /^"version" takes no arguments/);
  assert.equal(replies[2], '"number" needs phone number; nothing was done. Usage: number <phone number>');
  assert.equal(replies[3], 'got 4 word(s)', 'a rest argument takes a number written with spaces');
  assert.equal(replies[4], '"pair" takes at most 2 arguments, but 3 were given; nothing was done. Usage: pair <a> [b]');
  assert.equal(replies[5], 'pair x');
  assert.match(replies[6], /• pair <a> \[b\] — takes two/, 'help shows the declared arguments');
  assert.equal(replies[7], 'pair <a> [b] — takes two', 'help with a command name shows that one');
  assert.equal(replies[8], '"help" takes at most 1 argument, but 2 were given; nothing was done. Usage: help [command]');
  await store.close();
});

test('an "interrupted" notice that cannot be sent at start is sent at the next start', async (t) => {
  const hang: Command = { name: 'hang', help: 'never finishes', permission: 'user', args: [], handler: () => new Promise(() => undefined) };
  const { store, bot, reopen } = await setup(t, [hang]);
  await bot.accept(text('hang'));
  await bot.stop();
  await store.close();

  const second = reopen();
  second.identity.sendMessage = async () => {
    throw new Error('connect ECONNREFUSED');
  };
  await second.bot.resumeInterrupted();
  await second.bot.stop();
  assert.equal((await second.store.botCommands.pending()).length, 1, 'still pending');
  await second.store.close();

  const third = reopen();
  await third.bot.resumeInterrupted();
  await third.bot.stop();
  assert.deepEqual(third.identity.sent.map((s) => s.body), ['Your command "hang" was interrupted by a bridge restart before it finished; please send it again.']);
  assert.deepEqual(await third.store.botCommands.pending(), []);
  await third.store.close();
});

test('a prefixed command outside the management room is answered, a refused user gets the refusal', async (t) => {
  const { store, bot, identity } = await setup(t);
  const shared = '!shared:hs';
  await bot.accept({ ...text('!wa version'), room_id: shared });
  await bot.accept({ ...text('version'), room_id: shared });
  await bot.accept({ ...text('!wa help'), room_id: shared, sender: '@mallory:hs' });
  await bot.stop();
  assert.deepEqual(identity.sent.map((s) => [s.roomId, s.body.slice(0, 22)]), [
    [shared, 'matrix-interop-bridge '],
    [shared, 'Sorry, you are not all'],
  ], 'an unprefixed message outside the management room is no command');
  await store.close();
});

test('help ends by pointing to the user guide: the configured link, or the file and whom to ask', async (t) => {
  for (const url of ['https://example.org/bridge/user-guide', undefined]) {
    const { store, bot, identity } = await setup(t, [], url);
    await bot.accept(text('help'));
    await bot.stop();
    const last = identity.sent.at(-1)?.body.split('\n').at(-1) ?? '';
    if (url) assert.equal(last, `Every command, with examples: ${url}`);
    else assert.match(last, /docs\/user-guide\.md\); ask your homeserver admin for a link\.$/);
    await store.close();
  }
});

test('bare digits answer the login only while it asks for a code', async (t) => {
  const codes: string[][] = [];
  const code: Command = { name: 'code', help: 'the code', permission: 'user', handler: async (ctx) => void codes.push(ctx.args) };
  let asking = true;
  const { bot, identity } = await setup(t, [code], undefined, () => asking);
  await bot.accept(text('123 456'));
  await settle();
  assert.deepEqual(codes, [['123456']], 'the code command got the digits');
  asking = false; // a QR step, say: digits are no command then
  await bot.accept(text('123456'));
  await settle();
  assert.equal(codes.length, 1);
  assert.match(identity.sent.at(-1)!.body, /^Unknown command "123456"/);
});
