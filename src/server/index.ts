export * from './api-types.js';
export {
  buildServer,
  HttpError,
  CONTENT_SECURITY_POLICY,
  type ServerOptions,
  type AuthOptions,
} from './app.js';
export {
  parseTokenFile,
  matchToken,
  MIN_TOKEN_LENGTH,
  type TokenEntry,
  type OidcOptions,
  type Principal,
} from './auth.js';
export { Engines, EngineLimitError, MAX_NETWORK_WORKLOADS, type ServerInputs } from './engines.js';
