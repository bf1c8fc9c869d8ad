/**
 * The CLI's account commands (`create-admin`, `admin list`, `admin reset-password`), as functions
 * on a database so the CLI runs them directly when it owns DATA_DIR (or on PostgreSQL) and the
 * server runs the very same ones when the CLI asks it over the control channel.
 */
import { recordAudit } from '../db/audit.js'
import type { Db } from '../db/client.js'
import { normaliseEmail } from '../lib/identity.js'
import { createAdmin } from '../modules/users/bootstrap-admin.js'
import { passwordProblem } from '../modules/users/password-policy.js'
import { hashPassword } from '../modules/users/passwords.js'
import { revokeUserSessions } from '../modules/users/sessions.queries.js'
import { findUserByEmail, listAdminUsers, updateUser } from '../modules/users/users.queries.js'

export interface AdminSummary {
  id: number
  username: string
  email: string | null
  fullname: string
  is_active: boolean
  created_at: string
}

export async function createAdminAccount(db: Db, input: { email: string; password: string; username?: string; fullname?: string }) {
  const admin = await createAdmin(db, input)
  return { id: admin.id, username: admin.username, email: admin.email }
}

export async function listAdmins(db: Db): Promise<AdminSummary[]> {
  return (await listAdminUsers(db)).map((r) => ({
    id: r.id,
    username: r.username,
    email: r.email,
    fullname: r.fullname,
    is_active: r.isActive,
    created_at: r.createdAt.toISOString(),
  }))
}

/**
 * Set a new password for the account with this email (the way back in for an admin who lost
 * theirs). Every session of the account ends, as after a reset by mail; the audit log records it.
 */
export async function resetPassword(db: Db, input: { email: string; password: string }) {
  const email = normaliseEmail(input.email)
  const user = email ? await findUserByEmail(db, email) : undefined
  if (!user || user.anonymisedAt) throw new Error(`no account with the email ${input.email}`)
  const problem = passwordProblem(input.password, [user.username, user.email ?? ''])
  if (problem) throw new Error(`password ${problem}`)
  const hash = await hashPassword(input.password)
  const revoked = await db.transaction(async (tx) => {
    await updateUser(tx, user.id, { passwordHash: hash })
    const ended = await revokeUserSessions(tx, user.id, 'password_reset_cli')
    await recordAudit(tx, { actorId: null, action: 'password_reset_cli', entity: 'user', entityId: user.id })
    return ended.length
  })
  return { id: user.id, username: user.username, role: user.userType, sessions_ended: revoked }
}
