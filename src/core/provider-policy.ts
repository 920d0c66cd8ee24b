/**
 * Which providers may reach a Matrix user (the DMA lets the user choose): the user's own
 * choice where they made one (`allow` / `block <provider>`), otherwise the operator's default
 * (`bridge.providers.default`). `allow-e2ee-only` blocks a provider without end-to-end
 * encryption by default, judged by what the network says of the provider.
 *
 * The providers the user can choose from are those the network lists (an optional connector
 * capability), plus any the bridge has seen on the user's behalf (contacts, drops) or the
 * user chose about before: a network without a list, or one that grew since, still leaves the
 * user something to choose from.
 */
import type { RemoteProviderInfo } from '../network/remote-network';
import type { CoreContext } from './context';

/** a provider as the user sees it in `providers` */
export interface KnownProvider {
  id: string;
  /** undefined: the bridge has never been told (a provider known only from a choice) */
  e2ee: boolean | undefined;
  displayName?: string;
  allowed: boolean;
  /** the user chose this; otherwise the default applies */
  chosen: boolean;
}

export interface ProviderCatalog {
  providers: KnownProvider[];
  /** where the list comes from: the network's answer now, its last answer (it did not answer
   *  this time), or only what the bridge has seen */
  source: 'network' | 'earlier' | 'seen';
  /** why the network did not answer this time, for the user */
  missing?: string;
}

/** provider IDs as the gateway spells them; what a user types is lower-cased first */
export const PROVIDER_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export class ProviderPolicy {
  /** the network's list as last answered: providers are network-wide, the same for everyone */
  private networkList?: RemoteProviderInfo[];

  constructor(private readonly ctx: CoreContext) {}

  /** whether `provider` may reach `owner`; `e2ee` as the network says of it now */
  async decide(owner: string, provider: string, e2ee: boolean | undefined): Promise<{ allowed: boolean; chosen: boolean }> {
    const choice = await this.ctx.store.providers.choice(owner, provider);
    if (choice !== undefined) return { allowed: choice, chosen: true };
    switch (this.ctx.config.bridge.providers.default) {
      case 'allow':
        return { allowed: true, chosen: false };
      case 'block':
        return { allowed: false, chosen: false };
      case 'allow-e2ee-only':
        // not known to encrypt is not allowed: the default promises encryption
        return { allowed: e2ee === true, chosen: false };
    }
  }

  async allowed(owner: string, provider: string, e2ee: boolean | undefined): Promise<boolean> {
    return (await this.decide(owner, provider, e2ee)).allowed;
  }

  /** the provider a contact was last seen on, and its encryption; undefined if never seen */
  async contactProvider(owner: string, contact: string): Promise<{ provider: string; e2ee: boolean | undefined } | undefined> {
    const record = await this.ctx.store.contacts.get(owner, contact);
    if (!record?.provider) return undefined;
    return { provider: record.provider, e2ee: record.e2ee ?? undefined };
  }

  /** Every provider the user can choose about, sorted by id. Asks the network when the user's
   *  session can; a failure falls back to its last answer and what the bridge has seen. */
  async catalog(owner: string): Promise<ProviderCatalog> {
    let missing: string | undefined;
    const session = this.ctx.session(owner);
    if (session?.listProviders) {
      try {
        const answer = await session.listProviders();
        // a network that says it has no list (an older gateway after a downgrade) has none now
        if (answer === 'unsupported') {
          missing = 'this network cannot list its providers';
          this.networkList = undefined;
        } else this.networkList = answer;
      } catch (error) {
        missing = `the network did not answer (${(error as Error).message})`;
        this.ctx.log.warn(`provider list for ${owner} not fetched: ${(error as Error).message}`);
      }
    } else {
      missing = session ? 'this network cannot list its providers' : 'you are not connected to the network';
    }
    const byId = new Map<string, { e2ee: boolean | undefined; displayName?: string }>();
    for (const [id, e2ee] of (await this.ctx.store.providers.seen(owner))) byId.set(id, { e2ee });
    for (const id of (await this.ctx.store.providers.choices(owner)).keys()) if (!byId.has(id)) byId.set(id, { e2ee: undefined });
    // the network's word on encryption is the freshest and the one it enforces
    for (const p of this.networkList ?? []) byId.set(p.id, { e2ee: p.e2ee, displayName: p.displayName });
    const providers = [];
    for (const [id, info] of [...byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      providers.push({ id, ...info, ...(await this.decide(owner, id, info.e2ee)) });
    }
    const source = missing === undefined ? 'network' : this.networkList ? 'earlier' : 'seen';
    return { providers, source, ...(missing !== undefined && { missing }) };
  }
}
