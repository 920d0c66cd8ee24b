/**
 * Remote text may hold lone UTF-16 surrogates (valid JSON "\ud800", invalid Unicode); the
 * homeserver answers 500 to every event carrying one, so such a message could never be
 * bridged. Every string of remote content is made well-formed (each lone surrogate becomes
 * U+FFFD) before it is converted. Pure.
 */

// String.prototype.toWellFormed is ES2024 (Node 20+); the project's TypeScript lib is ES2023
type WellFormable = string & { toWellFormed(): string };

/** `value` with every string in it (keys included) made well-formed; the same object when
 *  nothing needed repair, so the common case costs one walk and no copy. */
export function wellFormed<T>(value: T): T {
  return repair(value) as T;
}

function repair(value: unknown): unknown {
  if (typeof value === 'string') return (value as WellFormable).toWellFormed();
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      const fixed = repair(item);
      if (fixed !== item) changed = true;
      return fixed;
    });
    return changed ? out : value;
  }
  if (value !== null && typeof value === 'object') {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const fixedKey = (key as WellFormable).toWellFormed();
      const fixed = repair(item);
      if (fixed !== item || fixedKey !== key) changed = true;
      out[fixedKey] = fixed;
    }
    return changed ? out : value;
  }
  return value;
}
