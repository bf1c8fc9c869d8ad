/**
 * The first admin. `npm run cli -- create-admin` makes one explicitly; ADMIN_EMAIL/ADMIN_PASSWORD
 * make one on start-up only while no admin exists (never a seeded account with a known password).
 */
import type { FastifyInstance } from 'fastify'
import type { Db } from '../../db/client.js'
import { passwordProblem } from './password-policy.js'
import { hashPassword } from './passwords.js'
import { assertIdentityFree, normaliseIdentity } from './users.accounts.js'
import { adminExists, insertUser } from './users.queries.js'

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
  const identity = normaliseIdentity({ email: input.email, username })
  const problem = passwordProblem(input.password, [username, input.email])
  if (problem) throw new Error(`password ${problem}`)
  await assertIdentityFree(db, identity)
  return insertUser(db, {
    fullname: input.fullname ?? 'Administrator',
    username: identity.username as string,
    email: identity.email as string,
    userType: 'admin',
    passwordHash: await hashPassword(input.password),
  })
}

export async function ensureBootstrapAdmin(app: FastifyInstance) {
  const { adminEmail, adminPassword } = app.config
  if (!adminEmail || !adminPassword) return
  if (await adminExists(app.database.db)) return
  const admin = await createAdmin(app.database.db, { email: adminEmail, password: adminPassword })
  app.log.info({ userId: admin.id, username: admin.username }, 'created the first admin from ADMIN_EMAIL')
}
