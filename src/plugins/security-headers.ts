/**
 * Helmet's security headers (Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options,
 * Referrer-Policy, Cross-Origin-*-Policy, ...), as helmet itself sets them for our options. They do
 * not depend on the request, so helmet runs once at start-up against a recording response and
 * app.ts sets the result on every reply from its first hook; @fastify/helmet rebuilt the helmet
 * middleware from its options on every request and set each header on the raw response
 * (docs/decisions.md, "Per-request work"). A route still overrides one with `reply.header()`
 * (files.routes.ts: Cross-Origin-Resource-Policy of shared receipt links).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet, { type HelmetOptions } from 'helmet'

/** The headers helmet sets with `options`, by lower-case name. */
export function helmetHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    },
  }
  let finished = false
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err
    finished = true
  })
  // Helmet's middleware is synchronous; one that is not any more must not leave headers out silently.
  if (!finished) throw new Error('helmet did not finish synchronously')
  return Object.freeze(headers)
}
