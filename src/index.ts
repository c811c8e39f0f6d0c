// The library surface of jwk-responder, for relying parties and scripts.
export {JwkrError, ExitCode, type ErrorCode} from './core/errors.js'
export {SecretRegistry} from './core/secrets.js'
export {loadKeys} from './core/key/load-keys.js'
export type {KeyReport, LoadedKey, KeySet} from './core/key/types.js'
export {
  createDenylistGuard,
  type DenylistGuard,
  type DenylistGuardOptions,
  type DenylistGuardSource,
  type KeyResolver,
} from './guard/create-denylist-guard.js'
export {DenylistedKeyError, type DenylistMatch, type DenylistMatchKind} from './guard/denylisted-key-error.js'
export type {DenylistDocument, DenylistEntry, DenylistReason} from './core/containment/denylist.js'
export {verifyJournal} from './incident/verify-journal.js'
