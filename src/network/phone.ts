/**
 * Remote identities are phone numbers in E.164 form (`+4915112345678`). Everything that
 * accepts a number from a person goes through here, so invalid input gets an error naming
 * it and never becomes a ghost or a portal.
 */
import { parsePhoneNumberWithError, ParseError } from 'libphonenumber-js/max';

/** An E.164 phone number, checked. */
export type E164 = string & { readonly __brand: 'E164' };

export class InvalidPhoneNumberError extends Error {
  constructor(public readonly input: string, reason: string) {
    super(`"${input}" is not a valid phone number: ${reason}. Use the international form, e.g. +4915112345678.`);
    this.name = 'InvalidPhoneNumberError';
  }
}

const reasons: Record<string, string> = {
  INVALID_COUNTRY: 'it has no country code (start with + and the country code)',
  NOT_A_NUMBER: 'it is not a number',
  TOO_SHORT: 'it is too short',
  TOO_LONG: 'it is too long',
  INVALID_LENGTH: 'it has the wrong length',
};

/** Normalises a number typed by a person (spaces, dashes, brackets allowed) to E.164. */
export function parsePhone(input: string): E164 {
  const trimmed = input.trim();
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(trimmed);
  } catch (error) {
    const code = error instanceof ParseError ? error.message : 'NOT_A_NUMBER';
    throw new InvalidPhoneNumberError(trimmed, reasons[code] ?? 'it cannot be read');
  }
  // "possible" (right length for its country) rather than "valid" (in a known number range):
  // number plans change faster than metadata, and the network is the judge of which exist
  if (!parsed.isPossible()) throw new InvalidPhoneNumberError(trimmed, 'it has the wrong length for its country');
  return parsed.number as E164;
}

/** Whether a string is an E.164 number in canonical form, as the network sends them. Only
 *  the syntax is checked: an account the network has is a number, whatever our metadata says. */
export function isE164(value: string): value is E164 {
  return /^\+[1-9][0-9]{6,14}$/.test(value);
}

/**
 * A number a person typed for a command about someone the bridge already knows (a contact, a
 * portal, a ghost): any E.164 number the bridge has shown is accepted as it is, even one our
 * metadata deems impossible, because the network supplied it and the bridge told the person
 * to type it. Anything else must pass parsePhone's stricter check.
 */
export function parseShownPhone(input: string, shown: (phone: E164) => boolean): E164 {
  const compact = input.trim().replace(/[\s().-]/g, '');
  if (isE164(compact) && shown(compact)) return compact;
  return parsePhone(input);
}

/**
 * The phone number a command names, from its arguments as typed (the words after the command
 * name, or one string): the one parser of `block`, `unblock`, `accept`, `decline` and the
 * provisioning API's request calls, so each answers the same input the same way. Numbers
 * `shown` accepts are taken as parseShownPhone takes them. Throws InvalidPhoneNumberError,
 * also when nothing was given.
 */
export function parsePhoneArgument(args: string | readonly string[], shown: (phone: E164) => boolean): E164 {
  const input = (typeof args === 'string' ? args : args.join(' ')).trim();
  if (!input) throw new InvalidPhoneNumberError('', 'no number given');
  return parseShownPhone(input, shown);
}

/** The number parsePhoneArgument would ask `shown` about, if any: a caller whose lookup is
 *  asynchronous (the store) looks it up first and passes the answer. */
export function shownCandidate(args: string | readonly string[]): E164 | undefined {
  const compact = (typeof args === 'string' ? args : args.join(' ')).trim().replace(/[\s().-]/g, '');
  return isE164(compact) ? compact : undefined;
}

/** The number formatted for people, e.g. `+49 1511 2345678`. */
export function displayPhone(phone: E164): string {
  try {
    return parsePhoneNumberWithError(phone).formatInternational();
  } catch {
    return phone;
  }
}
