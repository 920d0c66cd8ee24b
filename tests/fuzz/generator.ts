/**
 * Seeded randomness for the hostile-input fuzz: one PRNG (mulberry32) so that a failing run is
 * replayed exactly with FUZZ_SEED=<seed>, plus helpers to pick classes by weight and to build
 * hostile strings and values. No I/O here.
 */

import { seededRandom } from '../helpers/seeded-random';

export class Rng {
  private readonly random: () => number;

  constructor(readonly seed: number) {
    this.random = seededRandom(seed);
  }

  /** uniform in [0, 1) */
  next(): number {
    return this.random();
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }

  id(prefix: string): string {
    return `${prefix}-${Math.floor(this.next() * 2 ** 32).toString(36)}${Math.floor(this.next() * 2 ** 32).toString(36)}`;
  }
}

/** The seed of this run: FUZZ_SEED if set (replay), else a fresh one. */
export function runSeed(): number {
  const given = process.env.FUZZ_SEED;
  if (given !== undefined && given !== '') {
    const n = Number(given);
    if (!Number.isInteger(n)) throw new Error(`FUZZ_SEED=${given}: expected an integer`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

/** Picks a key of `weights` with probability proportional to its weight. */
export function weighted<K extends string>(rng: Rng, weights: Record<K, number>): K {
  const entries = Object.entries(weights) as Array<[K, number]>;
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let x = rng.next() * total;
  for (const [key, w] of entries) {
    x -= w;
    if (x < 0) return key;
  }
  return entries[entries.length - 1][0];
}

/** Deterministic schedule: `count` class names in proportion to the weights, shuffled. */
export function schedule<K extends string>(rng: Rng, weights: Record<K, number>, count: number): K[] {
  const out: K[] = [];
  for (let i = 0; i < count; i++) out.push(weighted(rng, weights));
  return out;
}

/** A string with lone surrogates, which JSON carries (as \\udXXX) and a homeserver refuses to store. */
export function loneSurrogateText(rng: Rng): string {
  const lone = rng.pick(['\ud800', '\udfff', '\udbff', '\udc00']);
  const where = rng.int(0, 2);
  return where === 0 ? `${lone}start` : where === 1 ? `mid ${lone} dle` : `end${lone}`;
}

/** Strings a homeserver or a JSON pipeline may choke on (besides lone surrogates). */
export function oddString(rng: Rng): string {
  return rng.pick([
    '\u0000', 'a\u0000b', '\u202e\u202dreversed', '\ufeffbom', '\u200b'.repeat(1000), '\ud83d\ude00'.repeat(200),
    'Z\u0351\u0352\u0353\u0354'.repeat(300), '<script>alert(1)</script>', '<a href="javascript:alert(1)">x</a>',
    '%s%s%n', '${process.exit()}', '\r\n\r\nHTTP/1.1 200 OK', '../../../../etc/passwd', '*'.repeat(5000), '_~`*'.repeat(2000),
  ]);
}

/** A random JSON value of bounded size: wrong-typed stand-in for any field. */
export function wrongValue(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => null, () => true, () => 0, () => -1, () => 1.5, () => 2 ** 64, () => -(2 ** 63), () => 1e308,
    () => '', () => 'x'.repeat(rng.int(129, 2000)), () => [], () => [1, 'a', null], () => ({}), () => ({ nested: { deeper: [] } }),
    () => loneSurrogateText(rng), () => oddString(rng), () => '12345', () => 'NaN',
  ])();
}

/** Nested arrays or objects `depth` levels deep, as JSON text (built without recursion). */
export function deepJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`;
}
