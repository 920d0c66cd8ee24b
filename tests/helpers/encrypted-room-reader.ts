/**
 * What a Matrix user's crypto-wasm device (tests/helpers/crypto-test-client.ts) reads of an
 * encrypted room: the events as the homeserver stores them (the server's view, not a client's),
 * and what of them decrypts under CrossSignedOrLegacy (Element's "exclude insecure devices").
 */
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import type { CryptoTestClient, DecryptedForTest } from './crypto-test-client';
import type { MatrixEvent } from './matrix-client';

/** What Alice's crypto device reads of a room: its stored events, and the first one of a sender that decrypts to a body. */
export function reader(aliceCrypto: CryptoTestClient, portal: string) {
  /** The room's events as Synapse stores them, oldest first (the server's view, not a client's). */
  const stored = async (): Promise<MatrixEvent[]> => {
    const page = await aliceCrypto.matrix.request<{ chunk: MatrixEvent[] }>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(portal)}/messages`,
      undefined, { dir: 'b', limit: '1000' });
    return page.chunk.reverse();
  };
  /** Syncs Alice's crypto device (room keys come as to-device events) until an event of `sender` decrypts to `body`. */
  const decryptedFrom = async (sender: string, body: string | RegExp): Promise<{ event: MatrixEvent; decrypted: DecryptedForTest }> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      await aliceCrypto.sync(500);
      for (const event of (await stored()).filter((e) => e.sender === sender && e.type === 'm.room.encrypted')) {
        const decrypted = await aliceCrypto.decrypt(portal, event, wasm.TrustRequirement.CrossSignedOrLegacy).catch(() => undefined);
        const text = decrypted?.event.content.body;
        if (decrypted && typeof text === 'string' && (typeof body === 'string' ? text === body : body.test(text))) return { event, decrypted };
      }
      if (Date.now() > deadline) throw new Error(`no event of ${sender} in the portal decrypted to ${JSON.stringify(body)}`);
    }
  };

  /** The text bodies of `sender`'s events that decrypt, each decrypted once; syncs first, so
   *  room keys that arrived meanwhile are in. */
  const bodies = new Map<string, string>();
  const decryptedBodies = async (sender: string): Promise<string[]> => {
    await aliceCrypto.sync(500);
    const events = (await stored()).filter((e) => e.sender === sender && e.type === 'm.room.encrypted');
    for (const event of events.filter((e) => !bodies.has(String(e.event_id)))) {
      const decrypted = await aliceCrypto.decrypt(portal, event, wasm.TrustRequirement.CrossSignedOrLegacy).catch(() => undefined);
      const text = decrypted?.event.content.body;
      if (typeof text === 'string') bodies.set(String(event.event_id), text);
    }
    // in the order the homeserver stores them (the room's order), however late a key came
    return events.flatMap((e) => bodies.get(String(e.event_id)) ?? []);
  };

  return { stored, decryptedFrom, decryptedBodies };
}

