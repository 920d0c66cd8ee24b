/**
 * Management-room commands for linking a phone number and starting chats. Each Matrix user has
 * at most one login; logins, contacts and portals are per user and never shared.
 */
import type { Command, CommandContext } from '../matrix/commands/registry';
import { InvalidPhoneNumberError, displayPhone, parsePhone, type E164 } from '../network/phone';
import type { CoreContext } from './context';
import type { Portals } from './portals';
import type { Sessions } from './sessions';

function phoneArg(ctx: CommandContext): E164 {
  const input = ctx.args.join(' ');
  if (!input) throw new InvalidPhoneNumberError('', 'no number given');
  return parsePhone(input);
}

/** Runs a handler, turning a bad phone number into a reply instead of a failure. */
export function friendly(handler: (ctx: CommandContext) => Promise<void>) {
  return async (ctx: CommandContext) => {
    try {
      await handler(ctx);
    } catch (error) {
      if (error instanceof InvalidPhoneNumberError) await ctx.reply(error.message);
      else throw error;
    }
  };
}

export function loginCommands(core: CoreContext, sessions: Sessions, portals: Portals): Command[] {
  const { store, network } = core;
  const needLogin = async (ctx: CommandContext) => {
    const login = store.logins.get(ctx.sender);
    if (!login) await ctx.reply('You are not logged in. Link your phone number first: login +<country code><number>');
    return login;
  };
  return [
    {
      name: 'login',
      usage: '<phone number>',
      help: 'Link your phone number: the network sends you a one-time code, which you then send here.',
      permission: 'user',
      handler: friendly(async (ctx) => {
        const existing = store.logins.get(ctx.sender);
        if (existing) {
          await ctx.reply(`You are already logged in as ${displayPhone(existing.phone as E164)}. Send "logout" first to link another number.`);
          return;
        }
        const phone = phoneArg(ctx);
        store.users.ensure(ctx.sender);
        await network.requestLoginCode(ctx.sender, phone);
        store.logins.setPending(ctx.sender, phone);
        await ctx.reply(`The network is sending a one-time code to ${displayPhone(phone)}. Send the code here (just the digits).`);
      }),
    },
    {
      name: 'code',
      usage: '<code>',
      help: 'Finish logging in with the one-time code (sending just the digits works too).',
      permission: 'user',
      async handler(ctx) {
        const pending = store.logins.getPending(ctx.sender);
        if (!pending) {
          await ctx.reply('No login is waiting for a code. Start with: login +<country code><number>');
          return;
        }
        const code = ctx.args.join('');
        const phone = pending.phone as E164;
        let state;
        try {
          state = await network.completeLogin(ctx.sender, phone, code);
        } catch (error) {
          await ctx.reply(`That code was not accepted (${(error as Error).message}). Send the right code, or "login" again for a new one.`);
          return;
        }
        store.atomically(() => {
          store.logins.put(ctx.sender, phone, state.data);
          store.logins.clearPending(ctx.sender);
        });
        await sessions.connect(store.logins.get(ctx.sender)!);
        await ctx.reply(`Logged in as ${displayPhone(phone)}. Messages to this number now reach you here; "start-chat <number>" opens a chat.`);
      },
    },
    {
      name: 'logout',
      help: 'Unlink your phone number: removes the bridge\'s device and every key it held for you.',
      permission: 'user',
      async handler(ctx) {
        store.logins.clearPending(ctx.sender);
        const login = await needLogin(ctx);
        if (!login) return;
        await sessions.disconnect(ctx.sender);
        const deleted = await network.logout(ctx.sender, { phone: login.phone as E164, data: login.state });
        store.logins.remove(ctx.sender);
        deleted.push('the login record');
        const portalCount = store.portals.ofOwner(ctx.sender).length;
        await ctx.reply(
          `Logged out of ${displayPhone(login.phone as E164)}. Deleted: ${deleted.join('; ')}. ` +
            `Your ${portalCount} chat room(s) stay, but nothing is bridged until you log in again.`,
        );
      },
    },
    {
      name: 'start-chat',
      usage: '<phone number>',
      help: 'Open a chat room with a contact on the network.',
      permission: 'user',
      handler: friendly(async (ctx) => {
        const contact = phoneArg(ctx);
        if (!(await needLogin(ctx))) return;
        await portals.ensureGhost(ctx.sender, contact, true);
        const portal = await portals.ensure(ctx.sender, contact);
        const membership = await core.matrix.membership(portal.roomId, ctx.sender);
        if (membership !== 'join' && membership !== 'invite') await core.matrix.invite(portal.ghost, portal.roomId, ctx.sender);
        await ctx.reply(
          `Chat with ${displayPhone(contact)}: https://matrix.to/#/${portal.roomId} (room ${portal.roomId})`,
        );
      }),
    },
  ];
}
