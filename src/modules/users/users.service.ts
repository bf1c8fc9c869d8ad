/**
 * User administration rules. Deleting never destroys money records: a user with transactions is
 * deactivated and anonymised, a user without any is removed. The last active admin can never be
 * deleted, demoted or deactivated, and an admin cannot delete themself.
 */
import { eq, or, sql } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'
import type { Db, Tx } from '../../db/client.js'
import { auditLog, transactions, users } from '../../db/schema.js'
import { conflict, forbidden, notFound } from '../../lib/errors.js'
import type { AuthContext } from '../auth/auth.types.js'
import { revokeUserSessions } from '../auth/sessions.queries.js'
import { countActiveAdmins, findUserById, updateUser } from './users.queries.js'

/** Serialise every "would this leave no active admin?" decision (two admins demoting each other). */
export async function lockAdminSet(tx: Tx) {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(7261524002)`)
}

/** Throws 409 when taking `userId` out of the active admins would leave none. */
export async function assertNotLastAdmin(tx: Tx, userId: number) {
  if ((await countActiveAdmins(tx, userId)) === 0) {
    throw conflict('This is the last active admin; make another admin first')
  }
}

export function createUsersService(deps: { db: Db; log: FastifyBaseLogger }) {
  const { db, log } = deps
  return {
    async delete(auth: AuthContext, id: number): Promise<'deleted' | 'anonymised'> {
      if (auth.userId === id) throw forbidden('You cannot delete your own account')
      const outcome = await db.transaction(async (tx) => {
        await lockAdminSet(tx)
        const user = await findUserById(tx, id)
        if (!user || user.anonymisedAt) throw notFound('User')
        if (user.userType === 'admin' && user.isActive) await assertNotLastAdmin(tx, id)
        const [money] = await tx
          .select({ id: transactions.id })
          .from(transactions)
          .where(or(eq(transactions.userId, id), eq(transactions.reportedBy, id), eq(transactions.confirmedBy, id)))
          .limit(1)
        await revokeUserSessions(tx, id, 'user_deleted')
        if (money) {
          // Keep the row so money records keep their owner; clear everything personal.
          await updateUser(tx, id, {
            fullname: 'Deleted user',
            username: `deleted-${id}`,
            email: null,
            phoneNumber: null,
            domisili: null,
            passwordHash: null,
            imageProfileKey: null,
            isActive: false,
            anonymisedAt: sql`now()` as unknown as Date,
          })
        } else {
          await tx.delete(users).where(eq(users.id, id))
        }
        const result = money ? ('anonymised' as const) : ('deleted' as const)
        await tx.insert(auditLog).values({
          actorId: auth.userId,
          action: `user.${result}`,
          entity: 'user',
          entityId: id,
          details: { userType: user.userType },
        })
        return result
      })
      log.info({ event: 'user.delete', userId: id, by: auth.userId, outcome }, 'user deleted')
      return outcome
    },
  }
}

export type UsersService = ReturnType<typeof createUsersService>
