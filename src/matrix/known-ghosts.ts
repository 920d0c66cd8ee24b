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
import type { PortalRepository } from '../store';

/** The library's membership cache, answering "registered" also for ghosts the store knows. */
export class KnownGhostsCache extends MembershipCache {
  constructor(private readonly knownRegistered: (userId: string) => boolean) {
    super();
  }

  override isUserRegistered(userId: string): boolean {
    return super.isUserRegistered(userId) || this.knownRegistered(userId);
  }
}

/** true for the ghost of a contact that has a portal room (see above); the template is appservice.ghost_username_template */
export function ghostHasPortalRoom(portals: Pick<PortalRepository, 'ofContact'>, template: string, domain: string): (userId: string) => boolean {
  const [before, after] = template.split('{phone}');
  const prefix = `@${before}`;
  const suffix = `${after}:${domain}`;
  return (userId) => {
    if (!userId.startsWith(prefix) || !userId.endsWith(suffix)) return false;
    const phone = userId.slice(prefix.length, userId.length - suffix.length);
    return portals.ofContact(phone).some((portal) => portal.roomId !== null);
  };
}
