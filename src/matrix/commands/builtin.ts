/** Commands every bridge has, whatever the network: help [command], version, whoami. */
import { escapeHtml } from '../../convert';
import { usageOf, type Command, type CommandRegistry } from './registry';

/** The last line of `help`: where every command is explained with an example. */
export function userGuidePointer(url: string | undefined): string {
  return url
    ? `Every command, with examples: ${url}`
    : 'Every command, with examples, is in the bridge\'s user guide (docs/user-guide.md); ask your homeserver admin for a link.';
}

export function builtinCommands(registry: CommandRegistry, version: string, prefix: string, userGuideUrl?: string): Command[] {
  const guide = userGuidePointer(userGuideUrl);
  return [
    {
      name: 'help',
      help: 'Show the commands you can use (or how to use one of them).',
      permission: 'user',
      args: [{ name: 'command' }],
      async handler(ctx) {
        const commands = registry.visibleTo(ctx.access);
        const line = (c: Command) => `${c.name}${usageOf(c) ? ` ${usageOf(c)}` : ''}`;
        if (ctx.args.length > 0) {
          const one = commands.find((c) => c.name === ctx.args[0].toLowerCase());
          if (!one) return ctx.reply(`There is no command "${ctx.args[0]}" you can use. Type "help" for the list.`);
          return ctx.reply(`${line(one)} — ${one.help}`, `<code>${escapeHtml(line(one))}</code> — ${escapeHtml(one.help)}`);
        }
        const text = [
          'Commands (type them here; elsewhere start them with ' + prefix + '):',
          ...commands.map((c) => `• ${line(c)} — ${c.help}`),
          '',
          guide,
        ].join('\n');
        const html =
          `<p>Commands (type them here; elsewhere start them with <code>${escapeHtml(prefix)}</code>):</p><ul>` +
          commands.map((c) => `<li><code>${escapeHtml(line(c))}</code> — ${escapeHtml(c.help)}</li>`).join('') +
          `</ul><p>${userGuideUrl ? `Every command, with examples: <a href="${escapeHtml(userGuideUrl)}">${escapeHtml(userGuideUrl)}</a>` : escapeHtml(guide)}</p>`;
        await ctx.reply(text, html);
      },
    },
    {
      name: 'version',
      help: 'Show the bridge version.',
      permission: 'user',
      args: [],
      async handler(ctx) {
        await ctx.reply(`matrix-interop-bridge ${version}`);
      },
    },
    {
      name: 'whoami',
      help: 'Show your Matrix ID and what the bridge lets you do.',
      permission: 'user',
      args: [],
      async handler(ctx) {
        await ctx.reply(`You are ${ctx.sender}; bridge permission: ${ctx.access}.`);
      },
    },
  ];
}
