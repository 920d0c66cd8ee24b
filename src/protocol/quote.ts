/**
 * One way to put a string that someone else chose (a media ID, a request type, an error
 * message from the other side) into a log line or an error message: truncated, quoted and
 * escaped, so it can neither forge a log line (newlines, control characters), nor inject markup
 * into a log viewer, nor hide behind look-alike or bidi characters, nor flood the log.
 */

/** `value` as a JSON string literal of at most `max` characters of the original, with
 *  everything outside printable ASCII and `<`, `>`, `&` written as \uXXXX escapes. */
export function quote(value: unknown, max = 64): string {
  const s = typeof value === 'string' ? value : String(value);
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  return JSON.stringify(cut).replace(/[^\x20-\x7e]|[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
