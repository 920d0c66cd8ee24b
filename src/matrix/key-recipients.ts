/**
 * Who gets the room key of an encrypted room's next event: its joined and invited members
 * (the invited owner reads the first message on joining). Asked of the homeserver once per
 * room (GET /members, the heaviest request of an encrypted send when made per event:
 * docs/benchmarks.md, bench:encrypted) and then kept up to date from the m.room.member events
 * the appservice receives for the room, as a client keeps its member list from /sync.
 *
 * The trade-off is a client's: a member who joins is known once the homeserver's transaction
 * with the join arrives (milliseconds later); an event encrypted in between is not shared with
 * them. Device changes of known members are crypto-wasm's (tracked users), not this list's.
 */
export type LoadMembers = (roomId: string) => Promise<string[]>;

interface MemberEvent {
  type?: unknown;
  room_id?: unknown;
  state_key?: unknown;
  content?: { membership?: unknown } | null;
}

export class KeyRecipients {
  private readonly members = new Map<string, Set<string>>();
  /** loads in progress, shared by concurrent sends; one that a member event overtook is not kept */
  private readonly loading = new Map<string, { done: Promise<string[]>; overtaken: boolean }>();

  constructor(private readonly load: LoadMembers) {}

  async of(roomId: string): Promise<string[]> {
    const known = this.members.get(roomId);
    if (known) return [...known];
    const inFlight = this.loading.get(roomId);
    if (inFlight) return inFlight.done;
    const flight = { done: this.load(roomId), overtaken: false };
    this.loading.set(roomId, flight);
    try {
      const loaded = await flight.done;
      if (!flight.overtaken) this.members.set(roomId, new Set(loaded));
      return loaded;
    } finally {
      this.loading.delete(roomId);
    }
  }

  /** Every room event the appservice receives; only m.room.member events change anything. */
  observe(event: MemberEvent): void {
    if (event.type !== 'm.room.member' || typeof event.room_id !== 'string' || typeof event.state_key !== 'string') return;
    const flight = this.loading.get(event.room_id);
    if (flight) flight.overtaken = true;
    const known = this.members.get(event.room_id);
    if (!known) return;
    const membership = event.content?.membership;
    if (membership === 'join' || membership === 'invite') known.add(event.state_key);
    else known.delete(event.state_key);
  }
}
