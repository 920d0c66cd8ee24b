/** Commands every bridge has, whatever the network: help, version, whoami (none takes arguments). */
import { escapeHtml } from '../../convert';
import { usageOf, type Command, type CommandRegistry } from './registry';

export function builtinCommands(registry: CommandRegistry, version: string, prefix: string): Command[] {
  return [
    {
      name: 'help',
      help: 'Show the commands you can use.',
      permission: 'user',
      args: [],
      async handler(ctx) {
        const commands = registry.visibleTo(ctx.access);
        const line = (c: Command) => `${c.name}${usageOf(c) ? ` ${usageOf(c)}` : ''}`;
        const text = [
          'Commands (type them here; elsewhere start them with ' + prefix + '):',
          ...commands.map((c) => `• ${line(c)} — ${c.help}`),
        ].join('\n');
        const html =
          `<p>Commands (type them here; elsewhere start them with <code>${escapeHtml(prefix)}</code>):</p><ul>` +
          commands.map((c) => `<li><code>${escapeHtml(line(c))}</code> — ${escapeHtml(c.help)}</li>`).join('') +
          '</ul>';
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
