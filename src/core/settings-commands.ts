/** The user's own settings: `settings` shows them all, `inbox` changes where portals sit. */
import type { Command } from '../matrix/commands/registry';
import type { CoreContext } from './context';
import type { Inbox } from './inbox';
import { describeInbox, describeSettings, INBOX_MODES, readSettings, type InboxMode } from './user-settings';

export function settingsCommands(core: CoreContext, inbox: Inbox): Command[] {
  return [
    {
      name: 'settings',
      help: 'Show your settings and what each one means.',
      permission: 'user',
      args: [],
      async handler(ctx) {
        await ctx.reply(['Your settings:', ...describeSettings(readSettings(core.store, ctx.sender)).map((line) => `• ${line}`)].join('\n'));
      },
    },
    {
      name: 'inbox',
      usage: '[separate|merged]',
      help: 'Keep your chats with interop contacts in their own Space "Third-party chats" (separate), or among your other rooms (merged).',
      permission: 'user',
      args: [{ name: 'separate|merged' }],
      async handler(ctx) {
        const current = readSettings(core.store, ctx.sender).inbox;
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
  ];
}
