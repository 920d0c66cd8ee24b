/**
 * Does the registration the homeserver was given fit this config? A registration made for
 * another bot name, domain or ghost template lets the bridge start but never work (the
 * homeserver refuses its users, or sends it nothing), so those are refused with the key named.
 * A different URL or port may be right (a reverse proxy, a container's port mapping), so
 * that is only warned about; so is a different `id`, which only the homeserver uses.
 */
import type { BridgeConfig } from '../config/types';
import type { Registration } from '../registration';

export interface Consistency {
  /** the bridge cannot work: refuse to start */
  problems: string[];
  /** it might work, but the admin should look */
  warnings: string[];
}

/** A ghost ID the bridge would use, to test the registration's user namespaces against. */
function exampleGhost(config: BridgeConfig): string {
  return `@${config.appservice.ghost_username_template.replace('{phone}', '+4915112345678')}:${config.homeserver.domain}`;
}

function defaultPort(url: URL): number {
  return url.protocol === 'https:' ? 443 : 80;
}

function checkNamespaces(registration: Registration, config: BridgeConfig, problems: string[]): void {
  const users = (registration.namespaces as Partial<Registration['namespaces']> | undefined)?.users;
  if (!Array.isArray(users) || users.length === 0) {
    problems.push('namespaces.users (registration): empty; the homeserver would not give the bridge its ghost users. Generate the registration again with -r');
    return;
  }
  const patterns: RegExp[] = [];
  for (const [i, entry] of users.entries()) {
    try {
      patterns.push(new RegExp(`^(?:${String((entry as { regex?: unknown } | undefined)?.regex)})$`));
    } catch (error) {
      problems.push(`namespaces.users[${i}].regex (registration): not a valid regular expression (${(error as Error).message})`);
    }
  }
  const ghost = exampleGhost(config);
  if (patterns.length > 0 && !patterns.some((p) => p.test(ghost))) {
    problems.push(
      `namespaces.users (registration): no regex matches the ghost users this config makes (${ghost}, from ` +
        'appservice.ghost_username_template and homeserver.domain); generate the registration again with -r and give it to the homeserver',
    );
  }
}

function checkUrl(registration: Registration, config: BridgeConfig, problems: string[], warnings: string[]): void {
  let url: URL;
  try {
    url = new URL(registration.url);
  } catch {
    problems.push(`url (registration): ${JSON.stringify(registration.url)} is not a URL; it must say where the homeserver reaches the bridge`);
    return;
  }
  const port = url.port === '' ? defaultPort(url) : Number(url.port);
  if (port !== config.appservice.port) {
    warnings.push(
      `url (registration) is ${registration.url}, port ${port}, but the bridge listens on appservice.port ${config.appservice.port}; ` +
        'fine behind a proxy or port mapping, otherwise the homeserver cannot reach the bridge',
    );
  } else if (registration.url.replace(/\/+$/, '') !== config.appservice.url.replace(/\/+$/, '')) {
    warnings.push(`url (registration) is ${registration.url} but appservice.url is ${config.appservice.url}; the homeserver uses the registration's`);
  }
}

/** The registration keys end-to-bridge encryption depends on: without them the homeserver
 *  sends no room keys and refuses the bridge's devices, so every encrypted message would fail. */
export const ENCRYPTION_REGISTRATION_KEYS = ['receive_ephemeral', 'io.element.msc4190', 'org.matrix.msc3202'] as const;

function checkEncryptionKeys(registration: Registration, config: BridgeConfig, problems: string[]): void {
  if (config.security.encryption === 'off') return;
  const missing = ENCRYPTION_REGISTRATION_KEYS.filter((key) => (registration as unknown as Record<string, unknown>)[key] !== true);
  if (missing.length === 0) return;
  problems.push(
    `security.encryption is ${config.security.encryption} but the registration lacks ${missing.map((k) => `${k}: true`).join(', ')}; ` +
      'generate the registration again with -r (or add them), give it to the homeserver and restart it (see docs/admin-guide.md, "Encrypted rooms")',
  );
}

export function checkRegistrationConsistency(registration: Registration, config: BridgeConfig): Consistency {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (registration.sender_localpart !== config.appservice.bot_username) {
    problems.push(
      `appservice.bot_username is ${config.appservice.bot_username} but the registration's sender_localpart is ` +
        `${registration.sender_localpart}; make them the same (and restart the homeserver if the registration changes)`,
    );
  }
  checkNamespaces(registration, config, problems);
  checkUrl(registration, config, problems, warnings);
  checkEncryptionKeys(registration, config, problems);
  if (registration.id !== config.appservice.id) {
    warnings.push(`appservice.id is ${config.appservice.id} but the registration's id is ${registration.id}`);
  }
  return { problems, warnings };
}
