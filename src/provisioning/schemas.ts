/**
 * Request bodies of the provisioning API. Each schema is typed as JSONSchemaType<T> of the
 * body type the handler reads, so the validation and the code cannot drift; the same shapes
 * are written out in docs/provisioning.openapi.yaml (a unit test compares the two).
 */
import Ajv, { type JSONSchemaType, type ValidateFunction } from 'ajv';
import { INBOX_MODES, type InboxMode } from '../core/user-settings';

const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });

export interface PhoneBody {
  /** a phone number, best in international form (+49…); the bot's rules apply */
  phone: string;
}

export interface CodeBody {
  /** the one-time code the network sent to the phone */
  code: string;
}

/** a body that takes no keys (logout) */
export type EmptyBody = Record<string, never>;

/** the settings PUT /settings changes; a key left out stays as it is */
export interface SettingsBody {
  inbox?: InboxMode;
  /** true: as the bot's `pause`; false: as `resume` */
  paused?: boolean;
  profileShare?: boolean;
}

const phoneBody: JSONSchemaType<PhoneBody> = {
  type: 'object',
  additionalProperties: false,
  required: ['phone'],
  properties: { phone: { type: 'string', minLength: 1, maxLength: 64 } },
};

const codeBody: JSONSchemaType<CodeBody> = {
  type: 'object',
  additionalProperties: false,
  required: ['code'],
  properties: { code: { type: 'string', minLength: 1, maxLength: 32 } },
};

const settingsBody: JSONSchemaType<SettingsBody> = {
  type: 'object',
  additionalProperties: false,
  properties: {
    inbox: { type: 'string', enum: [...INBOX_MODES], nullable: true },
    paused: { type: 'boolean', nullable: true },
    profileShare: { type: 'boolean', nullable: true },
  },
};

const emptyBody = {
  type: 'object',
  additionalProperties: false,
  properties: {},
} as unknown as JSONSchemaType<EmptyBody>;

export const validators = {
  phone: ajv.compile(phoneBody),
  code: ajv.compile(codeBody),
  empty: ajv.compile(emptyBody),
  settings: ajv.compile(settingsBody),
} satisfies Record<string, ValidateFunction>;

/** the JSON schemas by name, for the documentation test */
export const bodySchemas = { phone: phoneBody, code: codeBody, empty: emptyBody, settings: settingsBody };
