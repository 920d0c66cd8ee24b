/**
 * What a Matrix user blocked, and whether the network has been told. Engine-neutral, like
 * ./repositories.ts. The bridge is the source of truth for a user's block list: the network
 * gets the whole list after each change and at each connect (src/core/block-sync.ts).
 */

export interface BlockedContact {
  owner: string;
  contact: string;
  blockedAt: number;
}

/**
 * How far the network is with the owner's current list: `pending` (a change the network has
 * not confirmed yet; retried), `network` (the network drops their messages itself),
 * `unsupported` (the network has no block lists; the bridge alone drops what arrives),
 * `refused` (the network refused the list for good; `detail` says why).
 */
export type BlockSyncState = 'pending' | 'network' | 'unsupported' | 'refused';

export interface BlockSyncRecord {
  owner: string;
  state: BlockSyncState;
  detail: string | null;
  /** the owner was told that the network has not confirmed yet: the confirmation is told too */
  toldPending: boolean;
  /** the owner was told once that the network cannot block for them */
  toldUnsupported: boolean;
}

export interface BlockRepository {
  /** the owner's blocked numbers, oldest block first */
  list(owner: string): Promise<BlockedContact[]>;
  isBlocked(owner: string, contact: string): Promise<boolean>;
  count(owner: string): Promise<number>;
  /** false if the number was blocked already */
  add(owner: string, contact: string): Promise<boolean>;
  /** false if the number was not blocked */
  remove(owner: string, contact: string): Promise<boolean>;
  syncState(owner: string): Promise<BlockSyncRecord | undefined>;
  /** sets the state; a `told…` flag left out keeps its value */
  setSyncState(owner: string, state: BlockSyncState, detail?: string | null, told?: { pending?: boolean; unsupported?: boolean }): Promise<void>;
}
