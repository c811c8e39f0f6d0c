// The relying party of the drill world (src/drill/relying-party.ts), for containment tests: jose's
// createRemoteJWKSet at a given cache lifetime (or its first key set forever), optionally behind the
// denylist guard, a probe endpoint answering 200/401, and a record of every request and JWKS fetch.
export {
  startRelyingParty,
  type RelyingParty,
  type RelyingPartyOptions,
  type RelyingPartyRequest,
} from '../../src/drill/relying-party.js'
