/** Portals' ordered queues: see src/lib/keyed-queue.ts. */
export { KeyedQueue } from '../lib/keyed-queue';

export function portalKey(owner: string, contact: string): string {
  return `${owner}\u0000${contact}`;
}
