/** Who is signed in. The access token stays in api/client.ts memory; a reload refreshes from the cookie. */
import { ApiError, api, CONSOLE_HEADERS, refreshAccess, setAccessToken, unwrap, whenSessionLost } from './api/client'
import { store, useStore } from './store'

export interface Profile {
  id: number
  fullname: string
  username: string
  email: string | null
  user_type: string
}

export type Session =
  | { state: 'loading' }
  | { state: 'anonymous'; notice?: string }
  | { state: 'unreachable' }
  | { state: 'signed-in'; user: Profile }
export const session = store<Session>({ state: 'loading' })

whenSessionLost(() => {
  setAccessToken(undefined)
  if (session.get().state === 'signed-in') session.set({ state: 'anonymous', notice: 'sessionLost' })
})

/**
 * Whether this browser signed in before and did not sign out: only a hint (the cookie itself is
 * HttpOnly and invisible here), so a first visit shows the sign-in form at once instead of waiting
 * for a refresh that cannot succeed.
 */
const HINT = 'tg-signed-in'
function hint(value: boolean | undefined): boolean {
  try {
    if (value === true) localStorage.setItem(HINT, '1')
    else if (value === false) localStorage.removeItem(HINT)
    return localStorage.getItem(HINT) === '1'
  } catch {
    return true
  }
}

/**
 * At start: a refresh cookie from an earlier visit signs the treasurer in without a password. Only
 * the server saying the session is over forgets it; an unreachable server shows a retry screen.
 */
export async function restore(): Promise<void> {
  if (!hint(undefined)) return session.set({ state: 'anonymous' })
  session.set({ state: 'loading' })
  const refreshed = await refreshAccess()
  if (refreshed === 'ended') {
    hint(false)
    return session.set({ state: 'anonymous' })
  }
  if (refreshed === 'unreachable') return session.set({ state: 'unreachable' })
  try {
    const user = unwrap(await api.GET('/auth/profile')) as Profile
    if (!CONSOLE_ROLES.has(user.user_type)) return await signOut()
    session.set({ state: 'signed-in', user })
  } catch (err) {
    session.set(err instanceof ApiError && err.status === 401 ? { state: 'anonymous' } : { state: 'unreachable' })
  }
}

/** Who may use the console: treasurers (admins) and auditors (reading only). */
export const CONSOLE_ROLES: ReadonlySet<string> = new Set(['admin', 'auditor'])

/**
 * Whether the signed-in user may change anything. Auditors read everything an admin reads; the
 * server refuses their writes with 403, and the console hides or disables the controls that write.
 */
export function useCanWrite(): boolean {
  const s = useStore(session)
  return s.state === 'signed-in' && s.user.user_type === 'admin'
}

/** Signs in; throws ApiError with the API's message. Members are turned away (the console is for admins and auditors). */
export async function signIn(identifier: string, password: string): Promise<'ok' | 'not-admin'> {
  const data = unwrap(await api.POST('/auth/login', { body: { identifier, password }, headers: CONSOLE_HEADERS }))
  const user = data.user as Profile
  setAccessToken(data.access_token)
  if (!CONSOLE_ROLES.has(user.user_type)) {
    await signOut()
    return 'not-admin'
  }
  hint(true)
  session.set({ state: 'signed-in', user })
  return 'ok'
}

export async function signOut(): Promise<void> {
  try {
    await fetch('/auth/logout', { method: 'POST', headers: CONSOLE_HEADERS, credentials: 'same-origin' })
  } finally {
    setAccessToken(undefined)
    hint(false)
    session.set({ state: 'anonymous' })
  }
}
