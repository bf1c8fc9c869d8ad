/**
 * The treasurer's console (console/, built by `npm run build` into dist/console) served at /console:
 * hashed assets cached for a year, index.html for every other path under /console (the app routes
 * in the browser), and a strict Content-Security-Policy without inline script. A browser asking
 * for `/` (Accept: text/html) is sent to /console/; API clients keep whatever `/` answers them.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'

export interface ConsoleOptions {
  /** The built console (index.html + assets/); default: dist/console beside the compiled server. */
  dir?: string
}

/** dist/plugins/console.js -> dist/console; src/plugins/console.ts (tsx, tests) -> dist/console. */
export function defaultConsoleDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const compiled = path.resolve(here, '..', 'console')
  return existsSync(path.join(compiled, 'index.html')) ? compiled : path.resolve(here, '..', '..', 'dist', 'console')
}

/** Origins the console's images may come from besides itself: signed file URLs (APP_URL, S3). */
function imageOrigins(app: FastifyInstance): string {
  const origins = new Set<string>()
  for (const url of [app.config.appUrl, app.config.s3?.endpoint]) {
    if (url) origins.add(new URL(url).origin)
  }
  return [...origins].join(' ')
}

export function consoleCsp(extraImageOrigins: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: blob: ${extraImageOrigins}`.trim(),
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** Does this request come from a browser navigating (it prefers HTML over JSON)? */
function wantsHtml(accept: string | undefined): boolean {
  if (!accept) return false
  return /\btext\/html\b/.test(accept)
}

/** The console's routes, in their own (encapsulated) context so the hooks below touch only them. */
async function consoleRoutes(app: FastifyInstance, options: ConsoleOptions) {
  const dir = options.dir ?? defaultConsoleDir()
  const csp = consoleCsp(imageOrigins(app))

  // Every route below is public (the console's own API calls carry the tokens) and not in /openapi.json.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, auth: 'public' }
    route.schema = { ...route.schema, hide: true }
  })
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/console')) reply.header('Content-Security-Policy', csp)
  })

  // The password-reset email links to APP_URL/reset-password?token=...: the console's public page.
  app.get('/reset-password', async (request, reply) => {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : ''
    return reply.redirect(`/console/reset-password${query}`, 302)
  })

  const indexFile = path.join(dir, 'index.html')
  if (!existsSync(indexFile)) {
    app.log.warn({ dir }, 'console not built (npm run build): /console answers 503')
    app.get('/console/*', async (_request, reply) =>
      reply.code(503).send({ code: 503, message: 'The console is not built on this server; run npm run build', data: null }),
    )
    app.get('/console', async (_request, reply) => reply.redirect('/console/', 302))
    return
  }
  // Read once: the file changes only with a new build, and a new build means a restart. The server's
  // APP_TIMEZONE goes into a meta tag, so dates show in it whatever the laptop's own zone.
  const index = readFileSync(indexFile, 'utf8').replace('__APP_TIMEZONE__', escapeHtml(app.config.timezone))
  const sendIndex = (reply: FastifyReply) => reply.header('Cache-Control', 'no-cache').type('text/html; charset=utf-8').send(index)

  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/console/',
    wildcard: false,
    index: false,
    // Vite names assets by content hash: a new build means new names, so they never go stale.
    setHeaders(reply, filePath) {
      const immutable = filePath.includes(`${path.sep}assets${path.sep}`)
      reply.header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    },
  })
  // History fallback: /console/queue, /console/members/12 ... are the app's own routes.
  app.get('/console', async (_request, reply) => sendIndex(reply))
  app.get('/console/*', async (request, reply) => {
    const rest = (request.params as { '*': string })['*']
    // A missing asset is a 404, not the app's HTML served as a script.
    if (rest.startsWith('assets/')) return reply.code(404).send({ code: 404, message: `Console file ${rest} not found`, data: null })
    return sendIndex(reply)
  })
}

async function consolePlugin(app: FastifyInstance, options: ConsoleOptions) {
  // A root hook, not a route: `/` stays free for an API answer, and only browsers are redirected.
  app.addHook('onRequest', (request, reply, done) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && request.url === '/' && wantsHtml(request.headers.accept)) {
      reply.redirect('/console/', 302)
      return
    }
    done()
  })
  await app.register(consoleRoutes, options)
}

export default fp(consolePlugin, { name: 'console' })
