// The registration keys a bridge that encrypts needs (issue 12), added to what
// generateRegistration writes: MSC4190 (the appservice creates its users' devices with PUT
// /devices and registers them with inhibit_login) and MSC3202 (device lists, one-time key
// counts and fallback key types in transactions, device masquerading). receive_ephemeral is
// already set; Synapse also needs the experimental features tests/helpers/synapse.ts enables.
import type { Registration } from '../../src/registration/generate';

export type CryptoRegistration = Registration & { 'io.element.msc4190': boolean; 'org.matrix.msc3202': boolean };

export function withCryptoExtensions(registration: Registration): CryptoRegistration {
  return { ...registration, 'io.element.msc4190': true, 'org.matrix.msc3202': true };
}
