/**
 * Validation of everything that arrives from the other side of a socket or a Signal session.
 * Nothing here throws on bad input: each function returns `{ ok: false, ... }` with an error
 * that names the offending field, so callers can answer with an error frame or a notice.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { Content } from './content';
import {
  type ErrorBody, type EventFrame, type EventName, type GatewayFrame, type RequestFrame,
  type ProtocolVersion, type RequestResult, type RequestType, PROTOCOL_VERSIONS, REQUEST_TYPES,
} from './frames';
import { quote } from './quote';
import { BASE64_FORMAT, ID_PATTERN, isBase64 } from './schemas/common';
import { CONTENT_SCHEMA } from './schemas/content';
import { REQUEST_PARAM_SCHEMAS } from './schemas/requests';
import { ERROR_BODY_SCHEMA, EVENT_SCHEMAS, RESULT_SCHEMAS } from './schemas/responses';

export { MAX_PREKEYS_PER_UPLOAD } from './schemas/requests';

const ajv = new Ajv({ discriminator: true, allErrors: false, strict: true, strictRequired: false });
ajv.addFormat(BASE64_FORMAT, { type: 'string', validate: isBase64 });

function compileAll<K extends string>(schemas: Record<K, object>): Record<K, ValidateFunction> {
  const out = {} as Record<K, ValidateFunction>;
  for (const key of Object.keys(schemas) as K[]) out[key] = ajv.compile(schemas[key]);
  return out;
}

const paramValidators = compileAll(REQUEST_PARAM_SCHEMAS);
const resultValidators = compileAll(RESULT_SCHEMAS);
const eventValidators = compileAll(EVENT_SCHEMAS);
const errorBodyValidator = ajv.compile(ERROR_BODY_SCHEMA);
const contentValidator = ajv.compile<Content>(CONTENT_SCHEMA);

const requestTypes: ReadonlySet<string> = new Set(REQUEST_TYPES);
const idPattern = new RegExp(ID_PATTERN);
const eventNames: ReadonlySet<string> = new Set(Object.keys(EVENT_SCHEMAS));

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string; field?: string };

/** Turn ajv's first error into "<field> <problem>", e.g. "/params/to must match pattern ...". */
export function describeAjvError(errors: ErrorObject[] | null | undefined, prefix = ''): { error: string; field: string } {
  const e = errors?.[0];
  if (!e) return { error: 'invalid value', field: prefix || '/' };
  let field = prefix + e.instancePath;
  let problem = e.message ?? 'is invalid';
  if (e.keyword === 'required') {
    field += `/${String(e.params.missingProperty)}`;
    problem = 'is required';
  } else if (e.keyword === 'additionalProperties') {
    field += `/${String(e.params.additionalProperty)}`;
    problem = 'is not allowed here';
  } else if (e.keyword === 'enum' || e.keyword === 'const') {
    const allowed = (e.params.allowedValues ?? [e.params.allowedValue]) as unknown[];
    problem = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  } else if (e.keyword === 'discriminator') {
    problem = `has an unknown or missing "${String(e.params.tag)}"`;
  }
  return { error: `${field || '/'} ${problem}`, field: field || '/' };
}

const versions: ReadonlySet<unknown> = new Set(PROTOCOL_VERSIONS);
const VERSION_RULE = `"v" must be one of ${PROTOCOL_VERSIONS.join(', ')}`;

/** Whether `v` is a protocol version this code speaks (1: everything but groups; 2: groups too). */
export function isProtocolVersion(v: unknown): v is ProtocolVersion {
  return versions.has(v);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Deepest nesting of arrays and objects accepted in a frame or in content. The protocol needs
 * five levels; the margin is for content extensions. JSON.parse itself copes with any depth,
 * but millions of levels cost seconds of CPU and overflow the stack of every recursive walk
 * that follows (JSON.stringify, structured clone), so they are refused before parsing.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * true if `text` nests arrays/objects deeper than `max`, in one pass that skips string
 * contents with indexOf (base64 megabytes cost one native search). Invalid JSON may give
 * either answer; JSON.parse refuses it afterwards.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // find the closing quote: one not preceded by an odd number of backslashes
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return false;
        let backslashes = 0;
        while (text.charCodeAt(j - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      i = j;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

type JsonResult = { ok: true; value: unknown } | { ok: false; error: string };

function parseJson(raw: string | unknown): JsonResult {
  if (typeof raw !== 'string') return { ok: true, value: raw };
  if (nestsDeeperThan(raw, MAX_JSON_DEPTH)) return { ok: false, error: `frame nests deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false, error: 'frame is not valid JSON' };
  }
}

export type RequestParseResult =
  | { ok: true; frame: RequestFrame }
  | { ok: false; id: string | null; error: ErrorBody };

/**
 * Parse and validate a client → gateway frame (a JSON string or an already parsed value).
 * On failure `id` is the request's id when it could be read, so the error can be correlated.
 */
export function parseRequestFrame(raw: string | unknown): RequestParseResult {
  const json = parseJson(raw);
  if (!json.ok) return fail(null, 'bad_frame', json.error);
  const f = json.value;
  if (!isObject(f)) return fail(null, 'bad_frame', 'frame must be a JSON object');
  const id = typeof f.id === 'string' && f.id.length <= 128 && idPattern.test(f.id) ? f.id : null;
  if (!isProtocolVersion(f.v)) return fail(id, 'unsupported_version', VERSION_RULE, '/v');
  const v = f.v;
  if (id === null) return fail(null, 'bad_frame', '"id" must be 1 to 128 letters, digits or . _ ~ : @ $ + / = [ ] -', '/id');
  if (typeof f.type !== 'string') return fail(id, 'bad_frame', '"type" must be a string', '/type');
  if (!requestTypes.has(f.type)) return fail(id, 'unknown_type', `unknown request type ${quote(f.type)}`, '/type');
  for (const key of Object.keys(f)) {
    if (key !== 'v' && key !== 'id' && key !== 'type' && key !== 'params') {
      // the key is the sender's choice: named in the field only when it is a harmless one
      const field = /^[A-Za-z0-9_.-]{1,64}$/.test(key) ? `/${key}` : undefined;
      return fail(id, 'bad_frame', `${quote(`/${key}`)} is not allowed here`, field);
    }
  }
  const type = f.type as RequestType;
  const validate = paramValidators[type];
  if (!validate(f.params)) {
    const { error, field } = describeAjvError(validate.errors, '/params');
    return fail(id, 'invalid_params', error, field);
  }
  return { ok: true, frame: { v, id, type, params: f.params } as RequestFrame };
}

function fail(id: string | null, code: ErrorBody['code'], message: string, field?: string): RequestParseResult {
  return { ok: false, id, error: field === undefined ? { code, message } : { code, message, field } };
}

/**
 * Parse a gateway → client frame. Results are only checked for shape here (`result` is an
 * object); check the payload with `validateResult` once the request type is known.
 */
export function parseGatewayFrame(raw: string | unknown): Parsed<GatewayFrame> {
  const json = parseJson(raw);
  if (!json.ok) return { ok: false, error: json.error };
  const f = json.value;
  if (!isObject(f)) return { ok: false, error: 'frame must be a JSON object' };
  if (!isProtocolVersion(f.v)) return { ok: false, error: VERSION_RULE, field: '/v' };
  switch (f.type) {
    case 'result':
      if (typeof f.id !== 'string') return { ok: false, error: '"id" must be a string', field: '/id' };
      if (!isObject(f.result)) return { ok: false, error: '"result" must be an object', field: '/result' };
      return { ok: true, value: f as unknown as GatewayFrame };
    case 'error':
      if (typeof f.id !== 'string' && f.id !== null) return { ok: false, error: '"id" must be a string or null', field: '/id' };
      if (!errorBodyValidator(f.error)) return { ok: false, ...describeAjvError(errorBodyValidator.errors, '/error') };
      return { ok: true, value: f as unknown as GatewayFrame };
    case 'event': {
      if (typeof f.event !== 'string' || !eventNames.has(f.event)) {
        return { ok: false, error: `unknown event ${quote(f.event)}`, field: '/event' };
      }
      const validate = eventValidators[f.event as EventName];
      if (!validate(f.data)) return { ok: false, ...describeAjvError(validate.errors, '/data') };
      return { ok: true, value: f as unknown as EventFrame };
    }
    default:
      return { ok: false, error: '"type" must be "result", "error" or "event"', field: '/type' };
  }
}

/** Check a result payload against the schema of the request that asked for it. */
export function validateResult<T extends RequestType>(type: T, result: unknown): Parsed<RequestResult<T>> {
  const validate = resultValidators[type];
  if (!validate(result)) return { ok: false, ...describeAjvError(validate.errors, '/result') };
  return { ok: true, value: result as RequestResult<T> };
}

export type ContentParseResult = { ok: true; content: Content } | { ok: false; error: string };

/**
 * Validate decrypted content (a parsed value, or a JSON string / UTF-8 bytes as they come
 * out of a Signal session). Garbage yields `{ ok: false }`, never an exception.
 */
export function parseContent(input: unknown): ContentParseResult {
  let value = input;
  try {
    const text = input instanceof Uint8Array ? new TextDecoder('utf-8', { fatal: true }).decode(input) : input;
    if (typeof text === 'string') {
      if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return { ok: false, error: `content nests deeper than ${MAX_JSON_DEPTH} levels` };
      value = JSON.parse(text);
    }
  } catch {
    return { ok: false, error: 'content is not valid UTF-8 JSON' };
  }
  if (!contentValidator(value)) {
    const { error, field } = describeAjvError(contentValidator.errors);
    return { ok: false, error: field === '/' ? `content${error.slice(1)}` : `content${error}` };
  }
  const content = value;
  if (content.kind === 'message' && content.parts.length === 0 && content.replaces === undefined) {
    return { ok: false, error: 'content/parts must not be empty unless the message replaces another (delete)' };
  }
  return { ok: true, content };
}
