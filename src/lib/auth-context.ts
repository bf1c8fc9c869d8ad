import type { CallerRow } from '../db/rows.js'

/**
 * The access role a request acts with: what services check. An auditor's requests act as 'admin'
 * when they only read and are refused when they write (plugins/auth-guard.ts), so services need no
 * third case.
 */
export type Role = 'admin' | 'member'
/** What an account is (users.user_type). */
export type UserType = 'admin' | 'member' | 'auditor'

/** Who is calling: passed from routes to services, which never read the request themselves. */
export interface AuthContext {
  userId: number
  role: Role
  /** True for an auditor: reads as an admin, may not change anything (auth-guard.ts). */
  readOnly?: boolean
  sessionId: string
  /**
   * The caller's row as read by the auth guard in the same request (the session check joins it),
   * so handlers about the caller reuse it instead of reading it again (no password hash in it).
   */
  user?: CallerRow
}

/** Where a request came from, for session records and auth-event logs. */
export interface ClientInfo {
  ip: string
  userAgent: string | undefined
}
