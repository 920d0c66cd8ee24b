/**
 * What a step login (step-login.ts) does with what the person typed before the connector
 * sees it (split into one value per field, checked), and the clearing of an ended login
 * before a new one starts.
 */
import type { LoginField } from '../network/login-steps';
import { InvalidPhoneNumberError, parsePhone, type E164 } from '../network/phone';
import type { CoreContext } from './context';
import type { Sessions } from './sessions';
import type { StepRenderer } from './step-login-types';

/** Clears what is left of a login the network ended (device removed, say) before a new
 *  one starts, and tells the person what was deleted and what was kept. The network's part
 *  failing to go (it may be unreachable) does not stop the new login: said and logged. */
export async function clearEndedLogin(
  core: CoreContext, sessions: Sessions, owner: string, phone: E164, state: Record<string, unknown>, render: StepRenderer,
): Promise<void> {
  const { store, network } = core;
  await sessions.disconnect(owner);
  let deleted: string[] = [];
  let failure: string | undefined;
  try {
    deleted = await network.logout(owner, { phone, data: state });
  } catch (error) {
    failure = (error as Error).message;
    core.log.warn(`login of ${owner}: clearing the ended login at the ${network.displayName} failed: ${failure}`);
  }
  await store.logins.remove(owner);
  deleted.push('the login record');
  const portalCount = (await store.portals.ofOwner(owner)).length;
  await render({ kind: 'ended_login_cleared', phone, deleted, portalCount, ...(failure === undefined ? {} : { failure }) });
}

/** The answer `text` to a step asking `fields`: a value per field; the first problem (as the
 *  event that says it) when a value cannot answer its field; the number it names, if any. */
export function checkedAnswer(
  fields: readonly LoginField[], text: string,
): { values: Record<string, string>; invalid?: { kind: 'invalid'; field: LoginField; message: string }; phone?: E164 } {
  const values = valuesFor(fields, text);
  for (const field of fields) {
    const message = problemWith(field, values[field.id]);
    if (message !== undefined) return { values, invalid: { kind: 'invalid', field, message } };
  }
  const phoneField = fields.find((f) => f.type === 'phone');
  return phoneField ? { values, phone: parsePhone(values[phoneField.id]) } : { values };
}

/** Why `value` cannot answer `field`, if it cannot: a phone field takes only a number the
 *  project's phone parser accepts, whatever the connector checks on top. */
function problemWith(field: LoginField, value: string): string | undefined {
  if (field.type === 'phone') {
    try {
      parsePhone(value);
    } catch (error) {
      if (error instanceof InvalidPhoneNumberError) return error.message;
      throw error;
    }
  }
  return field.validate?.(value);
}

function valuesFor(fields: readonly LoginField[], text: string): Record<string, string> {
  const trimmed = text.trim();
  if (fields.length === 1) return { [fields[0].id]: trimmed };
  const words = trimmed.split(/\s+/);
  const values: Record<string, string> = {};
  fields.forEach((field, i) => {
    values[field.id] = (i === fields.length - 1 ? words.slice(i).join(' ') : words[i]) ?? '';
  });
  return values;
}
