/**
 * What the logs must not show at the default level (docs/security.md): phone numbers, which
 * also make up the ghosts' Matrix IDs (@wa_+4915112345678:example.org), and what people wrote.
 * Applied by the logger itself (see root.ts) to every string and object of every line, so a
 * call site that forgets cannot leak.
 */

/** Keys whose values are people's words or secrets: replaced whole, at any depth. */
const HIDDEN_KEYS = new Set([
  // message content: Matrix events, remote content (src/protocol/content.ts)
  'body', 'formatted_body', 'content', 'parts', 'caption', 'fallbackText', 'text', 'plaintext', 'm.new_content',
  // secrets, should a call site pass a config or a request along
  'secret', 'password', 'token', 'access_token', 'as_token', 'hs_token', 'authorization', 'key_store_secret', 'provider_secret',
]);

export const HIDDEN = '[redacted]';

/**
 * Whether `key: value` is hidden whole. A `body` that is an object is an HTTP response
 * (`{errcode, error}` of a refused request), which is walked instead: its error code is what
 * an admin needs, and a message event inside it still loses its `content`.
 */
function hidden(key: string, value: unknown): boolean {
  if (!HIDDEN_KEYS.has(key)) return false;
  return !(key === 'body' && value !== null && typeof value === 'object');
}

/** An E.164 number, also spelled with separators (+49 151 …), URL-encoded (%2B49…) or
 *  escaped the way matrix-appservice-bridge escapes user IDs (=2b49…). */
const PHONE = /(\+|%2B|=2b)(?:[ .()-]?\d){6,15}/gi;

/** The password of a URL (postgres://user:password@host/…, database.url): a library's error
 *  may repeat a connection string. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s/@]+@/gi;

/** `text` with every phone number replaced by its prefix and an ellipsis (+…), and every
 *  password in a URL hidden. */
export function redactText(text: string): string {
  return text.replace(PHONE, (_match, prefix: string) => `${prefix}…`).replace(URL_PASSWORD, (_match, head: string) => `${head}${HIDDEN}@`);
}

/** Deeper than this an object is not walked (log lines are not documents). */
const MAX_DEPTH = 8;

/**
 * A copy of `value` fit for the log: strings without numbers, hidden keys replaced, errors as
 * plain objects (their message and stack redacted too), binary data as its size. Never throws,
 * whatever it is given (cycles, getters that throw).
 */
export function redactValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  try {
    if (value instanceof Error) return redactError(value, depth, seen);
    if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
    if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1, seen));
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      copy[key] = hidden(key, item) ? HIDDEN : redactValue(item, depth + 1, seen);
    }
    return copy;
  } catch {
    return '[unreadable]';
  } finally {
    seen.delete(value);
  }
}

function redactError(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const plain: Record<string, unknown> = { type: error.name, message: redactText(error.message) };
  if (error.stack) plain.stack = redactText(error.stack);
  // extra fields some libraries add (errcode, statusCode, body of a failed request)
  for (const [key, item] of Object.entries(error)) {
    plain[key] = hidden(key, item) ? HIDDEN : redactValue(item, depth + 1, seen);
  }
  if (error.cause !== undefined) plain.cause = redactValue(error.cause, depth + 1, seen);
  return plain;
}
