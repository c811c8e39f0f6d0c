// The issuers of a benchmark's loopback world: issuer-0 … issuer-(count-1), each publishing its JWKS
// at ORIGIN/jwks/<i>, keys managed by hand (the benchmarks only locate and probe). probe.mjs and
// scale.mjs build their inventories on it.

/** @example loopbackIssuers('http://127.0.0.1:8080', 2)[1].jwksUri // → 'http://127.0.0.1:8080/jwks/1' */
export function loopbackIssuers(origin, count) {
  return Array.from({length: count}, (_, i) => ({
    id: `issuer-${i}`,
    issuer: `${origin}/issuer/${i}`,
    jwksUri: `${origin}/jwks/${i}`,
    keySource: {type: 'manual'},
  }))
}
