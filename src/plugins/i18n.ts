/**
 * The language of each answer: `Accept-Language` when it names id or en, else the caller's saved
 * `locale` (the auth guard has read the user row), else APP_LOCALE. `request.locale` is computed
 * when first read, so it sees `request.auth` once the guard has run.
 *
 * Success messages (`ok(data, 'Periode created')`) are translated here on their way out; error
 * messages in the error envelope. Modules keep writing English (src/i18n/index.ts says why).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { fromAcceptLanguage, isLocale, type Locale, translate } from '../i18n/index.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The language of this answer (Accept-Language, then the user's saved locale, then APP_LOCALE). */
    readonly locale: Locale
    /** The language Accept-Language asks for, if it names one we speak. */
    readonly requestedLocale: Locale | undefined
  }
}

/** An item that reports its own outcome: `{code, message, ...}`. */
function isOutcome(item: unknown): item is { code: number; message: string } {
  const o = item as { code?: unknown; message?: unknown } | null
  return !!o && typeof o === 'object' && typeof o.code === 'number' && typeof o.message === 'string'
}

/** The locale for a request, in the order of docs/i18n.md. */
export function localeOf(request: FastifyRequest, fallback: Locale): Locale {
  const asked = request.requestedLocale
  if (asked) return asked
  const saved = (request.auth as { user?: { locale?: string | null } } | null)?.user?.locale
  return isLocale(saved) ? saved : fallback
}

/** The envelope `payload` with its message (and its items' messages) in the request's language. */
function localised(request: FastifyRequest, payload: unknown): unknown {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return payload
  const body = payload as { code?: unknown; message?: unknown; data?: unknown }
  if (typeof body.message !== 'string' || typeof body.code !== 'number') return payload
  const locale = request.locale
  if (locale === 'en') return payload
  const message = translate(locale, body.message)
  const items = Array.isArray(body.data) && isOutcome(body.data[0]) ? body.data : undefined
  if (!items && message === body.message) return payload
  return {
    ...payload,
    message,
    ...(items ? { data: items.map((item) => (isOutcome(item) ? { ...item, message: translate(locale, item.message) } : item)) } : {}),
  }
}

async function i18nPlugin(app: FastifyInstance) {
  const fallback = app.config.locale
  app.decorateRequest('requestedLocale', {
    getter(this: FastifyRequest) {
      return fromAcceptLanguage(this.headers['accept-language'])
    },
  })
  app.decorateRequest('locale', {
    getter(this: FastifyRequest) {
      return localeOf(this, fallback)
    },
  })
  // Every JSON answer in the envelope has a `message` written in English by its route; so has each
  // item of an answer made of per-item outcomes (`POST /transactions/status`: `[{id, ok, code, message}]`).
  // Both hooks run on every request: synchronous (callback) hooks, which cost Fastify less than
  // async ones.
  app.addHook('preSerialization', (request, _reply, payload, done) => done(null, localised(request, payload)))
  // Caches and proxies must not hand one language's answer to another's reader.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('application/json')) {
      const vary = reply.getHeader('vary')
      if (!vary) reply.header('vary', 'Accept-Language')
      else if (!String(vary).toLowerCase().includes('accept-language')) reply.header('vary', `${String(vary)}, Accept-Language`)
      reply.header('content-language', request.locale)
    }
    done(null, payload)
  })
}

export default fp(i18nPlugin, { name: 'i18n', fastify: '5.x' })
