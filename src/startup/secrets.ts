/**
 * Secrets that are still the sample's placeholders are refused: a bridge started with
 * `change-me` as its provider secret (src/network/interop/config.ts) would log in nowhere (or, worse, somewhere that also
 * accepts the placeholder).
 */
import type { BridgeConfig } from '../config/types';
import { PLACEHOLDER_TOKEN_MARK } from '../registration';

/** Values of config.sample.yaml's secrets, and anything made from its CHANGE_ME mark. */
export function isPlaceholderSecret(value: string): boolean {
  const v = value.trim().toLowerCase();
  return v === 'change-me' || v === 'changeme' || v.includes(PLACEHOLDER_TOKEN_MARK.toLowerCase());
}

/** The provisioning API's secret lets its holder act for every permitted user: with the API
 *  enabled, a missing, placeholder or short secret is refused. */
export function provisioningSecretProblems(config: BridgeConfig): string[] {
  if (!config.provisioning.enabled) return [];
  const secret = config.provisioning.shared_secret;
  if (!secret) return ['provisioning.shared_secret: required when provisioning.enabled is true (or INTEROP_PROVISIONING_SECRET)'];
  if (isPlaceholderSecret(secret)) {
    return ['provisioning.shared_secret: is the sample\'s placeholder (change-me); generate one, e.g. `openssl rand -hex 32` (better: INTEROP_PROVISIONING_SECRET)'];
  }
  if (secret.length < 16) return ['provisioning.shared_secret: must be at least 16 characters (e.g. `openssl rand -hex 32`)'];
  return [];
}
