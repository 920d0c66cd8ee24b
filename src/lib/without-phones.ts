/**
 * Log text without phone numbers. Error messages from the network, the gateway and the
 * homeserver may quote a number or a ghost's user ID (@wa_+49…); at the default log level no
 * number may reach the log (docs/security.md), so every such text goes through this.
 */
export function withoutPhones(text: string): string {
  return text.replace(/\+\d{6,15}/g, '+…');
}
