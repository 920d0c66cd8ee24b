/**
 * Turns ajv's validation errors into one line per problem, each naming the key path the
 * way it is written in YAML (`appservice.port: must be an integer 1-65535`).
 */
import type { ErrorObject } from 'ajv';

interface SchemaNode {
  type?: string;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  pattern?: string;
  properties?: Record<string, unknown>;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[], source = 'config') {
    super(`${source} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function pathOf(instancePath: string, extra: string | undefined, base: string[]): string {
  const parts = [...base, ...instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))];
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '(top level)' : parts.join('.');
}

/** Closest known key, so a typo such as `homesever` gets "did you mean homeserver?". */
function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) { bestDistance = d; best = candidate; }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

function describeExpectation(schema: SchemaNode): string {
  if (schema.enum) return `must be one of: ${schema.enum.join(', ')}`;
  if (schema.type === 'integer' && schema.minimum !== undefined && schema.maximum !== undefined) {
    return `must be an integer ${schema.minimum}-${schema.maximum}`;
  }
  if (schema.type === 'integer') return 'must be an integer';
  if (schema.type === 'boolean') return 'must be true or false';
  if (schema.type === 'object') return 'must be a mapping of keys to values';
  if (schema.pattern?.startsWith('^https?://')) return 'must be an http(s) URL';
  if (schema.pattern?.startsWith('^wss?://')) return 'must be a ws(s) URL';
  if (schema.pattern?.startsWith('^postgres')) return 'must be a postgres:// connection string';
  if (schema.pattern?.includes('\\{phone\\}')) {
    return 'must contain {phone} once, with lowercase letters, digits and ._=/- around it';
  }
  if (schema.pattern) return `must match ${schema.pattern}`;
  return `must be a ${schema.type ?? 'valid value'}`;
}

/** `section`: where the validated object sits in the YAML (`network` for a connector's
 *  section, validated on its own), so every path still reads as the admin wrote it. */
export function formatAjvErrors(errors: ErrorObject[], section?: string): string[] {
  const base = section === undefined ? [] : section.split('.');
  const keyPath = (instancePath: string, extra?: string) => pathOf(instancePath, extra, base);
  const problems = new Set<string>();
  for (const error of errors) {
    const schema = error.parentSchema as SchemaNode | undefined;
    switch (error.keyword) {
      case 'required':
        problems.add(`${keyPath(error.instancePath, String(error.params.missingProperty))}: required`);
        break;
      case 'additionalProperties': {
        const key = String(error.params.additionalProperty);
        const known = Object.keys(schema?.properties ?? {});
        const hint = closest(key, known);
        problems.add(`${keyPath(error.instancePath, key)}: unknown key${hint ? ` (did you mean ${hint}?)` : ''}`);
        break;
      }
      case 'const':
        problems.add(`${keyPath(error.instancePath)}: must be ${JSON.stringify(error.params.allowedValue)}`);
        break;
      case 'minProperties':
        problems.add(`${keyPath(error.instancePath)}: must have at least ${error.params.limit} entry`);
        break;
      case 'minLength':
        problems.add(`${keyPath(error.instancePath)}: must not be empty`);
        break;
      default:
        problems.add(`${keyPath(error.instancePath)}: ${schema ? describeExpectation(schema) : error.message}`);
    }
  }
  return [...problems];
}
