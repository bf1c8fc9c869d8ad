export type Role = 'admin' | 'member'

/** Who is calling: passed from routes to services, which never read the request themselves. */
export interface AuthContext {
  userId: number
  role: Role
  sessionId: string
}

/** Where a request came from, for session records and auth-event logs. */
export interface ClientInfo {
  ip: string
  userAgent: string | undefined
}
