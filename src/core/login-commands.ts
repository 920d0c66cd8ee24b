/**
 * Management-room commands for linking a phone number, seeing the login's state and starting
 * chats. Each Matrix user has at most one login; logins, contacts and portals are per user
 * and never shared. Handlers answer within seconds even while the network is down (the step
 * then says so and is asked again), and refuse arguments they do not take rather than
 * ignore them (`logout +49…` with someone else's number once logged out the caller).
 * Logging in is the connector's step login (step-login-commands.ts renders it); what logout,
 * status and start-chat do is in login-flow.ts (shared with the provisioning API); this file
 * only turns their outcomes into replies.
 */
import type { Command, CommandContext } from '../matrix/commands/registry';
import { InvalidPhoneNumberError, displayPhone, type E164 } from '../network/phone';
import { loginBridgeState } from './bridge-state';
import type { CoreContext } from './context';
import type { LoginFlow } from './login-flow';
import type { LoginStatus, Sessions } from './sessions';
import type { StepLogins } from './step-login';
import { stepLoginHandlers } from './step-login-commands';

const NOT_LOGGED_IN = 'You are not logged in. Link your phone number first: login +<country code><number>';

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

export function loginCommands(core: CoreContext, sessions: Sessions, flow: LoginFlow, steps: StepLogins): Command[] {
  const { store, network } = core;
  const stepped = stepLoginHandlers(core, steps);

  return [
    {
      name: 'login',
      usage: '[answer]',
      help: 'Log in to the network: I show each step (what to send, or a code to scan or type).',
      permission: 'user',
      handler: friendly((ctx) => stepped.login(ctx)),
    },
    {
      name: 'code',
      usage: '<code>',
      help: 'Answer the login step that asks for a one-time code (sending just the digits works too).',
      permission: 'user',
      handler: (ctx) => stepped.code(ctx),
    },
    {
      name: 'cancel',
      args: [],
      help: 'Give up a login in progress (a code not yet sent, or a step not yet done).',
      permission: 'user',
      async handler(ctx) {
        const cancelled = await steps.cancel(ctx.sender);
        await ctx.reply(cancelled ? 'The login in progress was given up; nothing was linked.' : 'No login is in progress; nothing was done.');
      },
    },
    {
      name: 'logout',
      usage: '[your phone number]',
      help: 'Unlink your phone number: removes the bridge\'s device and every key it held for you.',
      permission: 'user',
      async handler(ctx) {
        const login = await store.logins.get(ctx.sender);
        if (login && !await flow.isOwnLogin(ctx.sender, ctx.args.join(' '))) {
          await ctx.reply(
            `Nothing was logged out: ${quoted(ctx.args)} is not your login. "logout" takes no argument, or your own number (${displayPhone(login.phone as E164)}).`,
          );
          return;
        }
        const result = await flow.logout(ctx.sender);
        if (result.outcome === 'not_logged_in') {
          await ctx.reply(NOT_LOGGED_IN);
          return;
        }
        await ctx.reply(
          `Logged out of ${displayPhone(result.phone)}. Deleted: ${result.deleted.join('; ')}. ` +
            `Kept: your ${result.portalCount} chat room(s) with their history (nothing is bridged in them until you log in again), ` +
            `your ${await store.blocks.count(ctx.sender)} blocked number(s) and your settings.`,
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
        const view = await flow.view(ctx.sender);
        const lines = [
          steps.current(ctx.sender) && view.kind === 'not_logged_in'
            ? 'Not logged in yet: a login is in progress (the last step I showed waits for you); "cancel" gives it up.'
            : view.kind === 'session'
            ? describeStatus(view.status, network.displayName)
            : view.kind === 'paused'
              ? `${displayPhone(view.phone)}: paused by you; nothing is bridged until you send "resume".`
            : view.kind === 'stopping'
              ? `${displayPhone(view.phone)}: not connected (the bridge is stopping).`
              : view.kind === 'waiting_for_code'
                ? `Not logged in yet: waiting for the one-time code sent to ${displayPhone(view.phone)}.`
              : view.kind === 'waiting_for_network'
                ? `Not logged in yet: the ${network.displayName} is not reachable; I keep trying with your answer and tell you here; "cancel" gives it up.`
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
        const result = await flow.startChat(ctx.sender, ctx.args.join(' '));
        if (result.outcome === 'not_logged_in') {
          await ctx.reply(NOT_LOGGED_IN);
          return;
        }
        if (result.outcome === 'rate_limited') {
          await ctx.reply(
            `Not opened: you started chats with many new numbers in a short time, and each one is a look-up at the network. ` +
              `Try again in ${Math.ceil(result.retryAfterMs / 1000)} s. Chats you have already are not limited.`,
          );
          return;
        }
        await ctx.reply(`Chat with ${displayPhone(result.contact)}: https://matrix.to/#/${result.roomId} (room ${result.roomId})`);
      }),
    },
  ];
}
