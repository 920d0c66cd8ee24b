/**
 * Management-room commands for linking a phone number, seeing the login's state and starting
 * chats. Each Matrix user has at most one login; logins, contacts and portals are per user
 * and never shared. Handlers answer within seconds even while the network is down (a code
 * request is then retried in the background), and refuse arguments they do not take rather
 * than ignore them (`logout +49…` with someone else's number once logged out the caller).
 */
import type { Command, CommandContext } from '../matrix/commands/registry';
import { backoffDelay } from '../lib/backoff';
import { InvalidPhoneNumberError, displayPhone, parsePhone, parseShownPhone, type E164 } from '../network/phone';
import { RemoteUnavailableError } from '../network/remote-network';
import type { BridgeStore } from '../store';
import { loginBridgeState } from './bridge-state';
import type { CoreContext } from './context';
import type { Portals } from './portals';
import { isTerminal, type LoginStatus, type Sessions } from './sessions';

const UNREACHABLE = 'The network is not reachable right now; retrying…';

function phoneArg(ctx: CommandContext, shown?: (phone: E164) => boolean): E164 {
  const input = ctx.args.join(' ');
  if (!input) throw new InvalidPhoneNumberError('', 'no number given');
  return shown ? parseShownPhone(input, shown) : parsePhone(input);
}

/** Numbers the bridge has shown `owner`: their contacts, portals and ghosts. A command about
 *  one of them accepts it by E.164 syntax alone (see parseShownPhone). */
export function shownTo(store: BridgeStore, owner: string): (phone: E164) => boolean {
  return (phone) => store.contacts.get(owner, phone) !== undefined || store.portals.get(owner, phone) !== undefined || store.ghosts.get(phone) !== undefined;
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

/** a typed argument quoted back in a reply, cut short */
function quoted(args: string[]): string {
  const text = args.join(' ');
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function since(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

/** one login's state in words */
export function describeStatus(status: LoginStatus, networkName: string): string {
  const phone = displayPhone(status.phone);
  switch (status.state) {
    case 'connected':
      return `${phone}: connected to the ${networkName} (since ${since(status.since)}).`;
    case 'connecting':
      return `${phone}: connecting to the ${networkName}…`;
    case 'backing_off': {
      const next = status.nextAttemptAt ? `; next attempt in ${Math.max(0, Math.ceil((status.nextAttemptAt - Date.now()) / 1000))} s` : '';
      return `${phone}: not connected since ${since(status.since)} (${status.reason ?? 'connection lost'}); retrying${next}. Nothing is lost meanwhile.`;
    }
    case 'device_removed':
    case 'auth_failed':
      return `${phone}: logged out by the network (${status.reason ?? status.state}). Send "login ${status.phone}" to link it again.`;
    case 'logged_out':
      return `${phone}: logged out.`;
  }
}

export function loginCommands(core: CoreContext, sessions: Sessions, portals: Portals): Command[] {
  const { store, network } = core;
  const delivery = core.config.bridge.delivery;
  const backoff = { initialDelayMs: delivery.retry_initial_ms, maxDelayMs: delivery.retry_max_ms, factor: 2, jitter: 0.3 };
  /** code requests retried in the background while the network is down; a newer login or a
   *  logout replaces or cancels them */
  const waiting = new Map<string, symbol>();

  const needLogin = async (ctx: CommandContext) => {
    const login = store.logins.get(ctx.sender);
    if (!login) await ctx.reply('You are not logged in. Link your phone number first: login +<country code><number>');
    return login;
  };

  const codeSent = (phone: E164) => `The network is sending a one-time code to ${displayPhone(phone)}. Send the code here (just the digits).`;

  /** Asks for the code; while the network is unreachable, answers at once and keeps trying. */
  async function requestCode(ctx: CommandContext, phone: E164): Promise<void> {
    const token = Symbol(phone);
    waiting.set(ctx.sender, token);
    const ask = async () => {
      await network.requestLoginCode(ctx.sender, phone);
      if (waiting.get(ctx.sender) !== token) return false;
      waiting.delete(ctx.sender);
      store.logins.setPending(ctx.sender, phone);
      return true;
    };
    try {
      if (await ask()) await ctx.reply(codeSent(phone));
      return;
    } catch (error) {
      if (!(error instanceof RemoteUnavailableError)) {
        waiting.delete(ctx.sender);
        throw error;
      }
    }
    await ctx.reply(`${UNREACHABLE} The one-time code for ${displayPhone(phone)} is requested as soon as it is back; you do not need to send "login" again.`);
    let attempt = 0;
    const retry = () => {
      const timer = setTimeout(() => {
        if (waiting.get(ctx.sender) !== token || sessions.isStopped) return;
        ask().then(
          (sent) => (sent ? ctx.reply(codeSent(phone)) : undefined),
          (error: Error) => {
            if (error instanceof RemoteUnavailableError && !sessions.isStopped) return retry();
            if (waiting.get(ctx.sender) === token) waiting.delete(ctx.sender);
            return ctx.reply(`The one-time code could not be requested: ${error.message}. Send "login" again to retry.`);
          },
        ).catch((error: Error) => core.log.warn(`login of ${ctx.sender}: reply failed: ${error.message}`));
      }, backoffDelay(attempt++, backoff));
      timer.unref();
    };
    retry();
  }

  return [
    {
      name: 'login',
      usage: '<phone number>',
      help: 'Link your phone number: the network sends you a one-time code, which you then send here.',
      permission: 'user',
      handler: friendly(async (ctx) => {
        const existing = store.logins.get(ctx.sender);
        const status = sessions.state(ctx.sender);
        const ended = status !== undefined && isTerminal(status.state);
        if (existing && !ended) {
          await ctx.reply(`You are already logged in as ${displayPhone(existing.phone as E164)}. Send "logout" first to link another number.`);
          return;
        }
        const phone = phoneArg(ctx);
        if (existing) {
          // the network ended the old login (device removed, say): clear what is left of it
          await sessions.disconnect(ctx.sender);
          await network.logout(ctx.sender, { phone: existing.phone as E164, data: existing.state }).catch(() => []);
          store.logins.remove(ctx.sender);
        }
        store.users.ensure(ctx.sender);
        await requestCode(ctx, phone);
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
          if (error instanceof RemoteUnavailableError) {
            await ctx.reply('The network is not reachable right now, so the code could not be checked. Send it again in a moment.');
          } else {
            await ctx.reply(`That code was not accepted (${(error as Error).message}). Send the right code, or "login" again for a new one.`);
          }
          return;
        }
        store.atomically(() => {
          store.logins.put(ctx.sender, phone, state.data);
          store.logins.clearPending(ctx.sender);
        });
        const connected = await sessions.connect(store.logins.get(ctx.sender)!);
        await ctx.reply(
          `Logged in as ${displayPhone(phone)}. ` +
            (connected.state === 'connected'
              ? 'Messages to this number now reach you here; "start-chat <number>" opens a chat.'
              : `${UNREACHABLE} Messages to this number reach you here once connected; "status" shows the state.`),
        );
      },
    },
    {
      name: 'logout',
      usage: '[your phone number]',
      help: 'Unlink your phone number: removes the bridge\'s device and every key it held for you.',
      permission: 'user',
      async handler(ctx) {
        const login = store.logins.get(ctx.sender);
        if (login && ctx.args.length > 0) {
          let named: E164 | undefined;
          try {
            named = parseShownPhone(ctx.args.join(' '), (p) => p === login.phone);
          } catch {
            named = undefined;
          }
          if (named !== login.phone) {
            await ctx.reply(
              `Nothing was logged out: ${quoted(ctx.args)} is not your login. "logout" takes no argument, or your own number (${displayPhone(login.phone as E164)}).`,
            );
            return;
          }
        }
        waiting.delete(ctx.sender);
        store.logins.clearPending(ctx.sender);
        if (!(await needLogin(ctx))) return;
        await sessions.disconnect(ctx.sender);
        const deleted = await network.logout(ctx.sender, { phone: login!.phone as E164, data: login!.state });
        store.logins.remove(ctx.sender);
        deleted.push('the login record');
        const portalCount = store.portals.ofOwner(ctx.sender).length;
        await ctx.reply(
          `Logged out of ${displayPhone(login!.phone as E164)}. Deleted: ${deleted.join('; ')}. ` +
            `Your ${portalCount} chat room(s) stay, but nothing is bridged until you log in again.`,
        );
      },
    },
    {
      name: 'status',
      help: 'Show whether your login is connected to the network (admins: every login).',
      permission: 'user',
      async handler(ctx) {
        if (ctx.args.length > 0) {
          await ctx.reply(`"status" takes no argument (got ${quoted(ctx.args)}).`);
          return;
        }
        const status = sessions.state(ctx.sender);
        const login = store.logins.get(ctx.sender);
        const pending = store.logins.getPending(ctx.sender);
        const lines = [
          status
            ? describeStatus(status, network.displayName)
            : login
              ? `${displayPhone(login.phone as E164)}: not connected (the bridge is stopping).`
              : pending
                ? `Not logged in yet: waiting for the one-time code sent to ${displayPhone(pending.phone as E164)}.`
                : waiting.has(ctx.sender)
                  ? `Not logged in yet: ${UNREACHABLE}`
                  : 'Not logged in. Link your phone number: login +<country code><number>',
        ];
        if (ctx.access === 'admin') {
          const all = sessions.states();
          lines.push('', `All logins (${all.length}):`);
          for (const s of all) {
            const state = loginBridgeState(s);
            lines.push(`• ${s.owner} — ${state.state_event}: ${describeStatus(s, network.displayName)}`);
          }
        }
        await ctx.reply(lines.join('\n'));
      },
    },
    {
      name: 'start-chat',
      usage: '<phone number>',
      help: 'Open a chat room with a contact on the network.',
      permission: 'user',
      handler: friendly(async (ctx) => {
        const contact = phoneArg(ctx, shownTo(store, ctx.sender));
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
