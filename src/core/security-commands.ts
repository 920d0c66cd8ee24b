/**
 * `verify`: show a contact's safety number(s), and mark them verified once compared out of
 * band. The confirmation names the digits that were compared (`verify +49… confirm 12345
 * 67890`), so a key that changed after it was shown is never the one marked verified. Any
 * number the bridge has shown is accepted, even one our phone metadata deems impossible.
 */
import type { Command } from '../matrix/commands/registry';
import { escapeHtml } from '../convert';
import { InvalidPhoneNumberError, displayPhone } from '../network/phone';
import { friendly } from './login-commands';
import { parseKnownPhone, shownTo } from './login-flow';
import { confirmCode, safetyNumberText } from '../security/notices';
import type { CoreContext } from './context';
import { safetyNumbersOf, type SecurityKeeper } from './security-keeper';
import type { Sessions } from './sessions';

const NOT_CONNECTED = 'You are not logged in (or not connected yet). Link your phone number first: login +<country code><number>';

export function securityCommands(core: CoreContext, sessions: Sessions, security: SecurityKeeper): Command[] {
  return [
    {
      name: 'verify',
      usage: '<phone number> [confirm <digits shown>]',
      help: 'Show the safety number with a contact; once it matches what they see, send the "confirm" line it shows.',
      permission: 'user',
      handler: friendly(async (ctx) => {
        const at = ctx.args.findIndex((a) => a.toLowerCase() === 'confirm');
        const numberWords = at < 0 ? ctx.args : ctx.args.slice(0, at);
        if (numberWords.length === 0) throw new InvalidPhoneNumberError('', 'no number given');
        const contact = await parseKnownPhone(numberWords, shownTo(core.store, ctx.sender));
        const confirmWords = at < 0 ? undefined : ctx.args.slice(at + 1);
        if (confirmWords?.some((w) => !/^\d+$/.test(w))) {
          return ctx.reply(`"confirm" takes only the digits of the safety number shown (got ${JSON.stringify(confirmWords.join(' ').slice(0, 40))}).`);
        }
        const session = core.session(ctx.sender);
        if (!session) return ctx.reply(NOT_CONNECTED);
        const name = (await core.store.ghosts.get(contact))?.displayName ?? displayPhone(contact);
        const record = await security.contact(ctx.sender, contact);
        if (record?.e2ee === false) {
          // no Signal session, no identity key: there is nothing to compare, so nothing to verify
          return ctx.reply(
            `${name} uses ${record.provider ?? 'a provider'}, which has no end-to-end encryption: there is no safety number to compare, so ${name} cannot be verified.`,
          );
        }
        const show = async (prefix?: string) => {
          const identity = await session.identity(contact);
          if (!identity) return ctx.reply(`There is no Signal session with ${name} yet: exchange a message first, then compare.`);
          const text = safetyNumberText({
            contactName: name, safetyNumber: identity.safetyNumber, devices: identity.devices,
            verified: (await security.contact(ctx.sender, contact))?.verified ?? false, phone: contact,
          });
          return prefix ? ctx.reply(`${prefix}\n\n${text.body}`, `<p>${escapeHtml(prefix)}</p>${text.html}`) : ctx.reply(text.body, text.html);
        };
        if (confirmWords === undefined) return show();
        if (confirmWords.length === 0) {
          return show(`To confirm, add the digits you compared, as the line below shows. Nothing was marked verified yet.`);
        }
        const result = await security.confirm(ctx.sender, contact, confirmWords.join(''));
        if (!result.ok) {
          if (result.why === 'no_session') return ctx.reply(NOT_CONNECTED);
          if (result.why === 'no_identity') return ctx.reply(`There is no Signal session with ${name} yet: exchange a message first, then compare.`);
          const now = confirmCode(safetyNumbersOf(result.identity!));
          return show(
            `Not verified: those digits are not the safety number in use with ${name} now (it starts ${now}). ` +
              'If their key changed after you compared, compare the new number below again.',
          );
        }
        const released = await sessions.releaseHeld(ctx.sender, contact);
        await ctx.reply(
          `${name} is now marked verified. If their safety number changes, the mark is cleared and you are warned.` +
            (released > 0 ? ` ${released} held message(s) were delivered to the chat.` : ''),
        );
      }),
    },
  ];
}
