/** The user's own settings: `settings` shows them all, `inbox` changes where portals sit,
 *  `pause` / `resume` stop and restart all bridging without logging out. */
import type { Command } from '../matrix/commands/registry';
import type { CoreContext } from './context';
import { displayPhone } from '../network/phone';
import type { Inbox } from './inbox';
import type { Pausing } from './pausing';
import type { ProfileShare } from './profile-share';
import { describeInbox, describeProfileShare, describeSettings, INBOX_MODES, readSettings, type InboxMode } from './user-settings';

const NOT_LOGGED_IN = 'You are not logged in, so there is nothing to pause or resume. Link your phone number first: login +<country code><number>';

export function settingsCommands(core: CoreContext, inbox: Inbox, pausing: Pausing, profiles: ProfileShare): Command[] {
  const hours = (seconds: number) => `${Math.round(seconds / 360) / 10} h`;
  return [
    {
      name: 'settings',
      help: 'Show your settings and what each one means.',
      permission: 'user',
      args: [],
      async handler(ctx) {
        await ctx.reply(['Your settings:', ...describeSettings(await readSettings(core.store, ctx.sender)).map((line) => `• ${line}`)].join('\n'));
      },
    },
    {
      name: 'inbox',
      usage: '[separate|merged]',
      help: 'Keep your chats with interop contacts in their own Space "Third-party chats" (separate), or among your other rooms (merged).',
      permission: 'user',
      args: [{ name: 'separate|merged' }],
      async handler(ctx) {
        const current = (await readSettings(core.store, ctx.sender)).inbox;
        if (ctx.args.length === 0) return ctx.reply(describeInbox(current));
        const mode = ctx.args[0].toLowerCase() as InboxMode;
        if (!INBOX_MODES.includes(mode)) return ctx.reply(`"inbox" takes "separate" or "merged" (got ${JSON.stringify(ctx.args[0].slice(0, 40))}); nothing was changed.`);
        let result;
        try {
          result = await inbox.switchTo(ctx.sender, mode);
        } catch (error) {
          core.log.warn(`inbox switch of ${ctx.sender} failed: ${(error as Error).message}`);
          return ctx.reply(
            `Your setting is now "inbox ${mode}", but the Space could not be set up (${(error as Error).message}). Send "inbox ${mode}" again to retry.`,
          );
        }
        const moved = result.moved === 1 ? '1 chat was' : `${result.moved} chats were`;
        const failed = result.failed.length > 0
          ? ` ${result.failed.length} could not be moved (${result.failed.slice(0, 3).join('; ')}); send "inbox ${mode}" again to retry.`
          : '';
        await ctx.reply(`${describeInbox(mode)} ${moved} moved${mode === current ? ' (again)' : ''}.${failed}`);
      },
    },
    {
      name: 'pause',
      help: 'Stop bridging your chats, both ways, without logging out ("resume" restarts it).',
      permission: 'user',
      args: [],
      async handler(ctx) {
        const result = await pausing.pause(ctx.sender);
        if (result.outcome === 'not_logged_in') return ctx.reply(NOT_LOGGED_IN);
        if (result.outcome === 'already') return ctx.reply('Bridging is paused already. Send "resume" to restart it.');
        await ctx.reply(
          `Paused: nothing is bridged for ${displayPhone(result.phone)}, either way, until you send "resume". ` +
            'Your contacts\' messages wait at the network; what you write in chat rooms waits here ' +
            `(for up to ${hours(core.config.bridge.delivery.max_age_seconds)}, then it is given up with a notice). ` +
            'You stay logged in, and your contacts are not told.',
        );
      },
    },
    {
      name: 'resume',
      help: 'Restart bridging after "pause": what waited is delivered.',
      permission: 'user',
      args: [],
      async handler(ctx) {
        const result = await pausing.resume(ctx.sender);
        if (result.outcome === 'not_logged_in') return ctx.reply(NOT_LOGGED_IN);
        if (result.outcome === 'not_paused') return ctx.reply('Bridging is not paused.');
        const { status } = result;
        await ctx.reply(
          status.state === 'connected'
            ? 'Resumed: your chats are bridged again; what waited on either side is being delivered, in order.'
            : `Resumed, but the network is not reachable right now (${status.reason ?? status.state}); the bridge keeps trying, and what waited is delivered once it is back. "status" shows the state.`,
        );
      },
    },
    {
      name: 'profile',
      usage: 'share on|off',
      help: 'Whether your Matrix display name and avatar are your profile on the network (off by default: only your number is known).',
      permission: 'user',
      args: [{ name: 'share' }, { name: 'on|off' }],
      async handler(ctx) {
        const current = (await readSettings(core.store, ctx.sender)).profileShare;
        if (ctx.args.length === 0) return ctx.reply(describeProfileShare(current));
        const [what, choice] = ctx.args.map((a) => a.toLowerCase());
        if (what !== 'share' || (choice !== 'on' && choice !== 'off')) {
          return ctx.reply('"profile" takes "share on" or "share off"; nothing was changed.');
        }
        let result;
        try {
          result = await profiles.set(ctx.sender, choice === 'on');
        } catch (error) {
          core.log.warn(`profile share of ${ctx.sender} not applied: ${(error as Error).message}`);
          return ctx.reply(`Your setting is now "profile share ${choice}", but the network was not updated (${(error as Error).message}); it is tried again at your next connect.`);
        }
        const now = describeProfileShare(choice === 'on');
        if (result.outcome === 'later') return ctx.reply(`${now} You are not connected now: the network is updated when you are.`);
        if (result.outcome === 'cleared') return ctx.reply(`${now} Nothing of your profile is on the network.`);
        const shown = result.displayName === null ? 'no display name (you have none on Matrix)' : `the name "${result.displayName}"`;
        return ctx.reply(`${now} Published: ${shown}${result.avatar ? ' and your avatar' : ''}.${result.avatarNote ? ` Note: ${result.avatarNote}.` : ''}`);
      },
    },
  ];
}
