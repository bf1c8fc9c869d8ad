/**
 * The first admin. `npm run cli -- create-admin` makes one explicitly; ADMIN_EMAIL/ADMIN_PASSWORD
 * make one on start-up only while no admin exists (never a seeded account with a known password).
 */
import type { FastifyInstance } from 'fastify'
import type { Db } from '../../db/client.js'
import { AppError } from '../../lib/errors.js'
import { createAccount } from './users.accounts.js'
import { adminExists } from './users.queries.js'

/**
 * An admin account through the one createAccount. The username defaults to the email's local part,
 * the name to "Administrator"; no profile image, so no storage. A weak password is reported as
 * `password <problem>`, the way the CLI and the start-up log name the setting.
 */
export async function createAdmin(
  db: Db,
  input: { email: string; password: string; username?: string | undefined; fullname?: string | undefined },
) {
  const username =
    input.username ??
    input.email
      .split('@')[0]!
      .replace(/[^A-Za-z0-9._-]/g, '')
      .slice(0, 50)
  try {
    return await createAccount(
      { db },
      { email: input.email, username, password: input.password, fullname: input.fullname ?? 'Administrator' },
      { userType: 'admin' },
    )
  } catch (err) {
    const first = err instanceof AppError ? err.errors?.[0] : undefined
    if (first?.field === 'password') throw new Error(`password ${first.message}`)
    throw err
  }
}

export async function ensureBootstrapAdmin(app: FastifyInstance) {
  const { adminEmail, adminPassword } = app.config
  if (!adminEmail || !adminPassword) return
  if (await adminExists(app.database.db)) return
  const admin = await createAdmin(app.database.db, { email: adminEmail, password: adminPassword })
  app.log.info({ userId: admin.id, username: admin.username }, 'created the first admin from ADMIN_EMAIL')
}
