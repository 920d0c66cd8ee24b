/**
 * Portals made through the store, not through start-chat: bench:scale needs 10,000 of them and
 * a real start-chat costs a contact with keys, a request and an accept each (minutes at that
 * count). Each seeded portal is what a finished one leaves behind: a ghost, the portal with its
 * room (a name the homeserver sink accepts; no homeserver holds it), and the contact's record.
 * Seeded into the store the bridge's config names (SQLite, or PostgreSQL with TEST_BRIDGE_DB).
 */
import type { BridgeConfig } from '../src/config/types';
import { openBridgeStore } from '../src/startup/open-store';

/** the i-th seeded contact: Berlin numbers, apart from the bench's simulated users */
export const seededPhone = (i: number) => `+4930${String(10_000_000 + i)}`;

export async function seedPortals(config: BridgeConfig, owner: string, count: number): Promise<void> {
  const quiet = { info: () => undefined, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };
  const { store } = await openBridgeStore(config.database, quiet);
  const ghost = (phone: string) => `@${config.appservice.ghost_username_template.replace('{phone}', phone)}:${config.homeserver.domain}`;
  try {
    await store.atomically(async (tx) => {
      // the user record the bot would have made when they first wrote to it
      await tx.users.ensure(owner);
      for (let i = 0; i < count; i++) {
        const phone = seededPhone(i);
        await tx.ghosts.ensure(phone, ghost(phone));
        await tx.portals.ensure(owner, phone);
        await tx.portals.setRoom(owner, phone, `!seeded-${i}:${config.homeserver.domain}`);
        await tx.contacts.observe(owner, phone, { provider: 'native', e2ee: true, bridged: false });
      }
    });
  } finally {
    await store.close();
  }
}
