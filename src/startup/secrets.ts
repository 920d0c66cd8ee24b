/**
 * Secrets that are still the sample's placeholders are refused: a bridge started with
 * `change-me` as its provider secret would log in nowhere (or, worse, somewhere that also
 * accepts the placeholder).
 */
import type { BridgeConfig } from '../config/types';
import { PLACEHOLDER_TOKEN_MARK } from '../registration';

/** Values of config.sample.yaml's secrets, and anything made from its CHANGE_ME mark. */
export function isPlaceholderSecret(value: string): boolean {
  const v = value.trim().toLowerCase();
  return v === 'change-me' || v === 'changeme' || v.includes(PLACEHOLDER_TOKEN_MARK.toLowerCase());
}

export function providerSecretProblems(config: BridgeConfig): string[] {
  const secret = config.network.provider_secret;
  if (!secret) return ['network.provider_secret: required (or provider_secret_file, or INTEROP_PROVIDER_SECRET)'];
  if (isPlaceholderSecret(secret)) {
    return ['network.provider_secret: is the sample\'s placeholder (change-me); set the secret the interop gateway gave your provider (better: INTEROP_PROVIDER_SECRET or provider_secret_file)'];
  }
  return [];
}
