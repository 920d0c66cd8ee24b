/** Library entry point: start the bridge in-process (tests, embedding) and its building blocks. */
export { start, stop, type RunningBridge } from './runtime';
export { loadConfig, parseConfig, validateConfig, ConfigError, type BridgeConfig } from './config';
export { generateRegistration, writeRegistration, readRegistration, type Registration } from './registration';
