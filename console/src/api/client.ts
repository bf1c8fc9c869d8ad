/**
 * The typed API client (openapi-fetch over schema.d.ts, generated from the server's OpenAPI
 * document by `npm run console:api`). The access token lives in this module's memory only; the
 * refresh token is an HttpOnly cookie the page never sees (src/modules/auth/console-cookie.ts on
 * the server). An expired access token is refreshed once and the request retried.
 */
import createClient from 'openapi-fetch'
import { language } from '../i18n'
import type { paths } from './schema'

/** The CSRF defence of the refresh cookie: the server reads the cookie only with this header. */
export const CONSOLE_HEADERS = { 'X-Talangraga-Client': 'console' }

let accessToken: string | undefined
let refreshing: Promise<Refreshed> | undefined
let onSessionLost: () => void = () => {}

export function setAccessToken(token: string | undefined) {
  accessToken = token
}
export function whenSessionLost(handler: () => void) {
  onSessionLost = handler
}

/**
 * `ok`: a new access token. `ended`: the server says the session is over (401/403): sign in again.
 * `unreachable`: the network, a rate limit or the server failed, and retries did not help; the
 * session may still be good, so the console must not forget it (a treasurer on a bad connection is
 * not signed out by a hiccup).
 */
export type Refreshed = 'ok' | 'ended' | 'unreachable'
const RETRY_MS = [300, 1000, 2500]
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function refreshOnce(): Promise<Refreshed> {
  try {
    const res = await fetch('/auth/refresh', { method: 'POST', headers: CONSOLE_HEADERS, credentials: 'same-origin' })
    if (res.status === 401 || res.status === 403) return 'ended'
    if (!res.ok) return 'unreachable'
    const body = (await res.json()) as { data: { access_token: string } }
    accessToken = body.data.access_token
    return 'ok'
  } catch {
    return 'unreachable'
  }
}

/** New access token from the refresh cookie; one refresh at a time however many requests wait. */
export function refreshAccess(): Promise<Refreshed> {
  refreshing ??= (async () => {
    try {
      let outcome = await refreshOnce()
      for (const wait of RETRY_MS) {
        if (outcome !== 'unreachable') break
        await sleep(wait)
        outcome = await refreshOnce()
      }
      return outcome
    } finally {
      refreshing = undefined
    }
  })()
  return refreshing
}

async function authedFetch(request: Request): Promise<Response> {
  const retry = request.clone()
  const send = (r: Request) => {
    if (accessToken) r.headers.set('Authorization', `Bearer ${accessToken}`)
    r.headers.set('X-Talangraga-Client', 'console')
    // The server's messages in the language the treasurer chose here, not the browser's.
    r.headers.set('Accept-Language', language.get())
    return fetch(r)
  }
  const res = await send(request)
  if (res.status !== 401 || request.url.includes('/auth/login')) return res
  const refreshed = await refreshAccess()
  if (refreshed === 'ended') onSessionLost()
  // Unreachable: the page shows the 401's message and the treasurer stays signed in to retry.
  if (refreshed !== 'ok') return res
  return send(retry)
}

export const api = createClient<paths>({ baseUrl: '', fetch: authedFetch })

export interface FieldError {
  field: string
  message: string
}

/** An answer that was not a success, with the API's own message (shown as the API sends it). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: FieldError[],
  ) {
    super(message)
  }
}

/**
 * The data of a success, or an ApiError. Field errors come as `errors: [{field, message}]`, or as
 * `data: [...]` in the envelope's earlier form; both are read.
 */
export function unwrap<R extends { data?: unknown; error?: unknown; response: Response }>(result: R): Payload<R> {
  if (result.data !== undefined && result.response.ok) return (result.data as { data: Payload<R> }).data
  const body = (result.error ?? {}) as { message?: unknown; errors?: unknown; data?: unknown }
  const list = Array.isArray(body.errors) ? body.errors : Array.isArray(body.data) ? body.data : []
  const fields = list.filter((e): e is FieldError => typeof e === 'object' && e !== null && 'field' in e && 'message' in e)
  const message = typeof body.message === 'string' ? body.message : `${result.response.status} ${result.response.statusText}`
  throw new ApiError(result.response.status, message, fields)
}

type Success<R> = R extends { data: infer B; error?: never } ? B : never
type Payload<R> = Success<R> extends { data: infer D } ? D : null

/** The whole envelope of a list (data + meta), or an ApiError. */
export function unwrapList<T, M>(result: {
  data?: { data: T; meta: M } | undefined
  error?: unknown
  response: Response
}): { data: T; meta: M } {
  const data = unwrap(result) as T
  return { data, meta: (result.data as { meta: M }).meta }
}
