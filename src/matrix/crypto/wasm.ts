/**
 * Loads the crypto-wasm module once. Its synchronous fallback load blocks the event loop
 * for longer, so every user awaits this first.
 */
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';

let ready: Promise<typeof wasm> | undefined;

export function loadCryptoWasm(): Promise<typeof wasm> {
  ready ??= wasm.initAsync().then(() => wasm);
  return ready;
}
