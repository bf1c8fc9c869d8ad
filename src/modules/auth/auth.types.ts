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
  /**
   * The ledger marker (data_versions) read with the session check: a transaction list cached under
   * this value is still exactly what the database would return now. Null when unknown.
   */
  ledgerVersion?: string | null
}

/** Where a request came from, for session records and auth-event logs. */
export interface ClientInfo {
  ip: string
  userAgent: string | undefined
}
