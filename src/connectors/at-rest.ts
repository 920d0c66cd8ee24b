/**
 * Encryption at rest, decided by the composition: one libsodium secretbox key derived from
 * security.key_store_secret seals both what core keeps of messages (outbox, held messages)
 * and the connector's keys. The derivation is the one the bridge always used, so data sealed
 * by earlier versions still opens.
 */
import { SodiumSecretBox } from '../interop-client/signal/secret-box';
import type { AtRestBox } from '../network/connector';
import type { Sealer } from '../core/context';

export async function keysAtRest(secret: string | undefined): Promise<AtRestBox> {
  if (!secret) {
    throw new Error(
      'security.key_store_secret (or key_store_secret_file, or INTEROP_KEY_STORE_SECRET) is required: ' +
        'it encrypts the keys and messages the bridge holds at rest',
    );
  }
  return SodiumSecretBox.fromSecret(secret);
}

/** core's Sealer (text in, base64 out) over the same box */
export function textSealer(box: AtRestBox): Sealer {
  return {
    seal: (text) => Buffer.from(box.seal(new TextEncoder().encode(text))).toString('base64'),
    open: (sealed) => new TextDecoder().decode(box.open(new Uint8Array(Buffer.from(sealed, 'base64')))),
  };
}
