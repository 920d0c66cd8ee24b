export * from './types';
export { ConfigError } from './errors';
export { parseConfig, validateConfig, loadConfig, resolveSecrets, SECRET_ENV, LISTEN_ADDRESS_ENV } from './load';
