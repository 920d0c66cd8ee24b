/**
 * Reads the registration file at start. A missing, malformed or placeholder registration
 * stops the bridge with a message that says how to make a real one.
 */
import { readFileSync } from 'node:fs';
import Ajv, { type JSONSchemaType } from 'ajv';
import { parse } from 'yaml';
import { ConfigError } from '../config/errors';
import { describeReadError } from '../startup/file-errors';
import { PLACEHOLDER_TOKEN_MARK, type Registration } from './generate';

type RequiredRegistration = Pick<Registration, 'id' | 'url' | 'as_token' | 'hs_token' | 'sender_localpart'>;

const schema: JSONSchemaType<RequiredRegistration> = {
  type: 'object',
  required: ['id', 'url', 'as_token', 'hs_token', 'sender_localpart'],
  properties: {
    id: { type: 'string', minLength: 1 },
    url: { type: 'string', minLength: 1 },
    as_token: { type: 'string', minLength: 1 },
    hs_token: { type: 'string', minLength: 1 },
    sender_localpart: { type: 'string', minLength: 1 },
  },
};
const validate = new Ajv({ allErrors: true }).compile(schema);

export function readRegistration(path: string): Registration {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`appservice.registration: ${describeReadError(path, error)}; write one with -r (see the README)`], path);
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    throw new ConfigError([`cannot read registration: ${(error as Error).message.split('\n')[0]}`], path);
  }
  if (!validate(data)) {
    const problems = (validate.errors ?? []).map((e) =>
      e.keyword === 'required' ? `${String(e.params.missingProperty)}: required` : `${e.instancePath.slice(1)}: ${e.message}`,
    );
    throw new ConfigError(problems, path);
  }
  for (const key of ['as_token', 'hs_token'] as const) {
    if (data[key].includes(PLACEHOLDER_TOKEN_MARK)) {
      throw new ConfigError(
        [
          `${key}: is a placeholder from the example registration. Generate a real one with ` +
            '`matrix-interop-bridge -r -c config.yaml -u <bridge URL> -f registration.yaml` ' +
            'and give that file to the homeserver.',
        ],
        path,
      );
    }
  }
  return data as Registration;
}
