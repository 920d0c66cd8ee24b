/**
 * Ghosts the store shows as registered at the homeserver, so the library does not try to
 * register them again after every restart. matrix-appservice-bridge remembers registrations
 * only in memory: the first use of each ghost after a start POSTs /register, Synapse answers
 * M_USER_IN_USE, and matrix-bot-sdk logs that at ERROR ("Error registering user: User ID is
 * in use") although nothing is wrong. A ghost with a portal room is registered for certain:
 * it created that room (appservice-port.ts registers a ghost before it acts). Filtering the
 * library's log line would hide a real registration failure worded the same way; this only
 * skips a request whose answer is known.
 */
import { MembershipCache } from 'matrix-appservice-bridge';
import type { BridgeStore } from '../store';

/** The library's membership cache, answering "registered" also for ghosts the store knows. */
export class KnownGhostsCache extends MembershipCache {
  /** `knownRegistered`: read from the store at start (the library asks synchronously); a ghost
   *  that registers later is remembered by the library itself */
  constructor(private readonly knownRegistered: ReadonlySet<string>) {
    super();
  }

  override isUserRegistered(userId: string): boolean {
    return super.isUserRegistered(userId) || this.knownRegistered.has(userId);
  }
}

/** the ghosts of contacts with a portal room, of every user with a login (see above); the
 *  template is appservice.ghost_username_template */
export async function ghostsWithPortalRoom(store: Pick<BridgeStore, 'logins' | 'portals'>, template: string, domain: string): Promise<Set<string>> {
  const ghosts = new Set<string>();
  for (const login of await store.logins.all()) {
    for (const portal of await store.portals.ofOwner(login.mxid)) {
      if (portal.roomId !== null) ghosts.add(`@${template.replace('{phone}', portal.contact)}:${domain}`);
    }
  }
  return ghosts;
}
