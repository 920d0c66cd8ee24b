/**
 * Encryption at rest for private key material and session state. The stores call
 * `seal` before writing secret bytes and `open` after reading them, so a stolen database
 * file alone does not reveal keys. The bridge uses SodiumSecretBox with a secret from its
 * config; simulated users and benchmarks use PlaintextSecretBox.
 */
import { getSodium, randomBytes, type Sodium } from '../sodium';

export interface SecretBox {
  seal(plaintext: Uint8Array): Uint8Array;
  open(sealed: Uint8Array): Uint8Array;
}

/** No protection at rest: for simulated users, tests and benchmarks only. */
export class PlaintextSecretBox implements SecretBox {
  seal(plaintext: Uint8Array): Uint8Array {
    return plaintext;
  }
  open(sealed: Uint8Array): Uint8Array {
    return sealed;
  }
}

/** Domain separation: the same secret used elsewhere must not yield this key. */
const KEY_CONTEXT = 'matrix-interop-bridge/keys-at-rest/v1';

/** crypto_secretbox (XSalsa20-Poly1305) with a random nonce prepended to every record. */
export class SodiumSecretBox implements SecretBox {
  private constructor(
    private readonly sodium: Sodium,
    private readonly key: Uint8Array,
  ) {}

  /**
   * Key = BLAKE2b(secret) keyed with a fixed context. Fast, so it only suits a
   * high-entropy secret (e.g. 32 random bytes, base64) such as a generated config value.
   */
  static async fromSecret(secret: string): Promise<SodiumSecretBox> {
    if (secret.length < 16) throw new Error('the key-at-rest secret must be at least 16 characters');
    const sodium = await getSodium();
    const key = sodium.crypto_generichash(
      sodium.crypto_secretbox_KEYBYTES,
      sodium.from_string(secret),
      sodium.from_string(KEY_CONTEXT),
    );
    return new SodiumSecretBox(sodium, key);
  }

  /**
   * Key = Argon2id(passphrase, salt) at the "interactive" cost: for secrets a person
   * chose. The salt (crypto_pwhash_SALTBYTES) must be stored and reused.
   */
  static async fromPassphrase(passphrase: string, salt: Uint8Array): Promise<SodiumSecretBox> {
    const sodium = await getSodium();
    if (salt.length !== sodium.crypto_pwhash_SALTBYTES) {
      throw new Error(`salt must be ${sodium.crypto_pwhash_SALTBYTES} bytes`);
    }
    const key = sodium.crypto_pwhash(
      sodium.crypto_secretbox_KEYBYTES,
      passphrase,
      salt,
      sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE,
      sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE,
      sodium.crypto_pwhash_ALG_ARGON2ID13,
    );
    return new SodiumSecretBox(sodium, key);
  }

  static async newSalt(): Promise<Uint8Array> {
    const sodium = await getSodium();
    return sodium.randombytes_buf(sodium.crypto_pwhash_SALTBYTES);
  }

  seal(plaintext: Uint8Array): Uint8Array {
    const nonce = randomBytes(this.sodium.crypto_secretbox_NONCEBYTES);
    const boxed = this.sodium.crypto_secretbox_easy(plaintext, nonce, this.key);
    const out = new Uint8Array(nonce.length + boxed.length);
    out.set(nonce, 0);
    out.set(boxed, nonce.length);
    return out;
  }

  open(sealed: Uint8Array): Uint8Array {
    const nonceBytes = this.sodium.crypto_secretbox_NONCEBYTES;
    if (sealed.length < nonceBytes + this.sodium.crypto_secretbox_MACBYTES) {
      throw new Error('sealed key record is too short');
    }
    try {
      return this.sodium.crypto_secretbox_open_easy(
        sealed.subarray(nonceBytes),
        sealed.subarray(0, nonceBytes),
        this.key,
      );
    } catch {
      // Wrong secret or a corrupted row: say which, without echoing any bytes.
      throw new Error('cannot open sealed key record: wrong key-at-rest secret or corrupted data');
    }
  }
}
