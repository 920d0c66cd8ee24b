export { generateRegistration, writeRegistration, ghostUserRegex, botUserRegex, PLACEHOLDER_TOKEN_MARK } from './generate';
export type { Registration } from './generate';
export { readRegistration } from './read';
