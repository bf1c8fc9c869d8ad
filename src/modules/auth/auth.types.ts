import type { users } from '../../db/schema.js'

export type Role = 'admin' | 'member'

/** Who is calling: passed from routes to services, which never read the request themselves. */
export interface AuthContext {
  userId: number
  role: Role
  sessionId: string
  /**
   * The caller's row as read by the auth guard in the same request (the session check joins it),
   * so handlers about the caller reuse it instead of reading it again.
   */
  user?: typeof users.$inferSelect
}

/** Where a request came from, for session records and auth-event logs. */
export interface ClientInfo {
  ip: string
  userAgent: string | undefined
}
