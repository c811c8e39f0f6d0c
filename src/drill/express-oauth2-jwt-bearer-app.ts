// A protected API on Auth0's SDK for APIs (express-oauth2-jwt-bearer), set up as its README shows:
// auth() finds the JWKS by discovery from the issuer and keeps it in jose 4's remote key set for
// cacheMaxAge; requiredScopes() answers 403 insufficient_scope to a valid token without the scope.
// The SDK's errors carry their status and WWW-Authenticate challenge; the error handler sends both as
// they are (express's own handler would send the same, and print every refused token's stack).
import express, {type ErrorRequestHandler, type RequestHandler} from 'express'
import {auth, requiredScopes} from 'express-oauth2-jwt-bearer'

export interface ExpressOauth2JwtBearerSpec {
  /** The issuer: discovery is fetched from <issuer>/.well-known/openid-configuration. */
  issuer: string
  /** The `aud` it requires. */
  audience: string
  /** How long it keeps the key set (and the discovery document). */
  cacheMaxAgeMs: number
  /** Least time between two fetches caused by an unknown kid (the SDK's cooldownDuration). */
  cooldownMs: number
  /** A scope the token must carry. */
  requiredScope?: string
  /** A `typ` header the token must carry. */
  requireTyp?: string
  /** The protected route (default /api/me), answering 200 `{sub}`. */
  path?: string
}

/**
 * The express application (a request listener: listen with it, or hand it requests).
 *
 * @example createServer(expressOauth2JwtBearerApp({issuer, audience: 'reports-api', cacheMaxAgeMs: 6000,
 *   cooldownMs: 6000, requiredScope: 'read:reports'})).listen(0, '127.0.0.1')
 */
export function expressOauth2JwtBearerApp(spec: ExpressOauth2JwtBearerSpec): express.Express {
  const app = express()
  const guards: RequestHandler[] = [
    auth({
      issuerBaseURL: spec.issuer,
      audience: spec.audience,
      cacheMaxAge: spec.cacheMaxAgeMs,
      cooldownDuration: spec.cooldownMs,
      ...(spec.requireTyp === undefined ? {} : {validators: {typ: spec.requireTyp}}),
    }),
  ]
  if (spec.requiredScope !== undefined) guards.push(requiredScopes(spec.requiredScope))
  app.get(spec.path ?? '/api/me', ...guards, (request, response) => {
    response.json({sub: request.auth?.payload.sub})
  })
  app.use(sendError)
  return app
}

/** The error's own status and headers (as express's final handler takes them), a JSON body, no log. */
const sendError: ErrorRequestHandler = (error, _request, response, _next) => {
  const {status, headers, code, message} = error as {status?: unknown; headers?: unknown; code?: unknown; message?: unknown}
  const valid = typeof status === 'number' && status >= 400 && status < 600
  response.status(valid ? status : 500)
  if (valid && headers !== null && typeof headers === 'object') response.set(headers as Record<string, string>)
  response.json({error: typeof code === 'string' ? code : 'server_error', error_description: String(message ?? '')})
}
