/** `verify`: show a contact's safety number, and mark it verified once compared out of band. */
import type { Command } from '../matrix/commands/registry';
import { displayPhone, parsePhone } from '../network/phone';
import { friendly } from './login-commands';
import { safetyNumberText } from '../security/notices';
import type { CoreContext } from './context';
import type { SecurityKeeper } from './security-keeper';
import type { Sessions } from './sessions';

export function securityCommands(core: CoreContext, sessions: Sessions, security: SecurityKeeper): Command[] {
  return [
    {
      name: 'verify',
      usage: '<phone number> [confirm]',
      help: 'Show the safety number with a contact; add "confirm" once it matches what they see.',
      permission: 'user',
      handler: friendly(async (ctx) => {
        const confirm = ctx.args.at(-1)?.toLowerCase() === 'confirm';
        const contact = parsePhone((confirm ? ctx.args.slice(0, -1) : ctx.args).join(' '));
        const session = core.session(ctx.sender);
        if (!session) return ctx.reply('You are not logged in (or not connected yet). Link your phone number first: login +<country code><number>');
        const name = core.store.ghosts.get(contact)?.displayName ?? displayPhone(contact);
        const record = security.contact(ctx.sender, contact);
        if (record?.e2ee === false) {
          // no Signal session, no identity key: there is nothing to compare, so nothing to verify
          return ctx.reply(
            `${name} uses ${record.provider ?? 'a provider'}, which has no end-to-end encryption: there is no safety number to compare, so ${name} cannot be verified.`,
          );
        }
        const identity = await session.identity(contact);
        if (!identity) return ctx.reply(`There is no Signal session with ${name} yet: exchange a message first, then compare.`);
        const safetyNumber = identity.safetyNumber;
        core.store.contacts.setFingerprint(ctx.sender, contact, identity.fingerprint);
        if (!confirm) {
          const text = safetyNumberText({ contactName: name, safetyNumber, verified: security.contact(ctx.sender, contact)?.verified ?? false, phone: contact });
          return ctx.reply(text.body, text.html);
        }
        core.store.contacts.setVerified(ctx.sender, contact, true);
        await security.updateRoomState(ctx.sender, contact);
        const released = await sessions.releaseHeld(ctx.sender, contact);
        await ctx.reply(
          `${name} is now marked verified. If their safety number changes, the mark is cleared and you are warned.` +
            (released > 0 ? ` ${released} held message(s) were delivered to the chat.` : ''),
        );
      }),
    },
  ];
}
