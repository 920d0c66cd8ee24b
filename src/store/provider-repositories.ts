/**
 * Providers a user allows or blocks (src/core/provider-commands.ts), and what was dropped from
 * blocked ones until a summary reports it (src/core/provider-filter.ts). Engine-neutral, like
 * ./repositories.ts. A choice is stored only once the user makes one: a provider without a row
 * follows the configured default (bridge.providers.default), which may change.
 */

/** Messages, receipts and typing dropped from blocked providers, not yet reported. */
export interface ProviderDrops {
  /** the total of byProvider */
  messages: number;
  /** what was dropped per provider, so a summary clears exactly what it reported */
  byProvider: Map<string, number>;
}

export interface ProviderRepository {
  /** the user's own choice for a provider; undefined: the default applies */
  choice(owner: string, provider: string): Promise<boolean | undefined>;
  /** every choice the user made, by provider */
  choices(owner: string): Promise<Map<string, boolean>>;
  setChoice(owner: string, provider: string, allowed: boolean): Promise<void>;
  /** counts one dropped message from `provider` (e2ee as its envelope said) */
  recordDrop(owner: string, provider: string, e2ee: boolean): Promise<void>;
  /** what was dropped and not yet summarised; undefined when nothing was */
  drops(owner: string): Promise<ProviderDrops | undefined>;
  /** subtracts what a summary reported (drops that came after it stay) and remembers `at` as
   *  the time of the last summary; one transaction */
  clearDrops(owner: string, reported: ReadonlyMap<string, number>, at: number): Promise<void>;
  /** when the owner was last sent a summary; undefined: never */
  lastSummaryAt(owner: string): Promise<number | undefined>;
  /** owners with drops not yet summarised */
  ownersWithDrops(): Promise<string[]>;
  /** providers the bridge has seen on the owner's behalf (contacts, message requests, drops),
   *  with e2ee as last seen: for a network that cannot list its providers */
  seen(owner: string): Promise<Map<string, boolean>>;
}
