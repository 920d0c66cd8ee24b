/**
 * The appservice registration: what the homeserver needs to know about the bridge.
 * Namespaces are exclusive (nobody else may create ghost or bot users), ephemeral events
 * are requested so receipts and typing reach the bridge, and the bridge is not rate-limited.
 * With security.encryption on, the registration also asks for what end-to-bridge encryption
 * needs: devices made by the appservice (MSC4190) and the crypto parts of /sync in
 * transactions (MSC3202; to-device events come with receive_ephemeral, MSC2409).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { BridgeConfig } from '../config/types';

export interface Registration {
  id: string;
  url: string;
  as_token: string;
  hs_token: string;
  sender_localpart: string;
  rate_limited: boolean;
  receive_ephemeral: boolean;
  /** Legacy key (MSC2409) for homeservers and libraries that only know the unstable name. */
  'de.sorunome.msc2409.push_ephemeral': boolean;
  /** MSC4190: the appservice creates its users' devices (PUT /devices); set when encryption is on */
  'io.element.msc4190'?: boolean;
  /** MSC3202: device lists, one-time key counts and fallback key types in transactions; set when encryption is on */
  'org.matrix.msc3202'?: boolean;
  namespaces: {
    users: { exclusive: boolean; regex: string }[];
    aliases: { exclusive: boolean; regex: string }[];
    rooms: { exclusive: boolean; regex: string }[];
  };
}

/** Placeholder tokens in the example registration; the bridge refuses to start with them. */
export const PLACEHOLDER_TOKEN_MARK = 'CHANGE_ME';

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Regex of ghost user IDs: the template with `{phone}` standing for an E.164 number. */
export function ghostUserRegex(config: BridgeConfig): string {
  const [before, after] = config.appservice.ghost_username_template.split('{phone}');
  const domain = escapeRegex(config.homeserver.domain);
  return `@${escapeRegex(before)}\\+[0-9]{2,15}${escapeRegex(after)}:${domain}`;
}

export function botUserRegex(config: BridgeConfig): string {
  return `@${escapeRegex(config.appservice.bot_username)}:${escapeRegex(config.homeserver.domain)}`;
}

/** 256 random bits, hex; the tokens authenticate the bridge and the homeserver to each other. */
function newToken(): string {
  return randomBytes(32).toString('hex');
}

export function generateRegistration(config: BridgeConfig, bridgeUrl = config.appservice.url): Registration {
  return {
    id: config.appservice.id,
    url: bridgeUrl,
    as_token: newToken(),
    hs_token: newToken(),
    sender_localpart: config.appservice.bot_username,
    rate_limited: false,
    receive_ephemeral: true,
    'de.sorunome.msc2409.push_ephemeral': true,
    ...(config.security.encryption !== 'off' && { 'io.element.msc4190': true, 'org.matrix.msc3202': true }),
    namespaces: {
      users: [
        { exclusive: true, regex: botUserRegex(config) },
        { exclusive: true, regex: ghostUserRegex(config) },
      ],
      aliases: [],
      rooms: [],
    },
  };
}

export function writeRegistration(path: string, registration: Registration): void {
  const header =
    '# Application service registration for matrix-interop-bridge.\n' +
    '# Generated; add this file to the homeserver (Synapse: app_service_config_files) and\n' +
    '# keep it secret: the tokens let anyone act as the bridge.\n';
  writeFileSync(path, header + stringify(registration), { mode: 0o600 });
  // the mode above applies only to a new file; an overwritten one (--force) keeps its old mode
  chmodSync(path, 0o600);
}
