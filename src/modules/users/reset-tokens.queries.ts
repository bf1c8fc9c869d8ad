/** SQL for password-reset tokens (stored as SHA-256 hashes only). Every function takes an Executor. */
import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client.js'
import { passwordResetTokens } from '../../db/schema.js'

/** How many reset tokens this user was issued in the last hour. */
export async function countRecentResetTokens(db: Executor, userId: number): Promise<number> {
  const [recent] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(passwordResetTokens)
    .where(and(eq(passwordResetTokens.userId, userId), gt(passwordResetTokens.createdAt, sql`now() - interval '1 hour'`)))
  return recent?.n ?? 0
}

export async function insertResetToken(db: Executor, values: { userId: number; tokenHash: string; ttlSeconds: number }) {
  await db.insert(passwordResetTokens).values({
    userId: values.userId,
    tokenHash: values.tokenHash,
    expiresAt: sql`now() + make_interval(secs => ${values.ttlSeconds})`,
  })
}

/** The token with this hash, locked until the end of the transaction (a token is used once). */
export async function lockResetToken(db: Executor, tokenHash: string) {
  const [row] = await db.select().from(passwordResetTokens).where(eq(passwordResetTokens.tokenHash, tokenHash)).for('update').limit(1)
  return row
}

/** Every outstanding reset token of this user dies (a password change, R11). */
export async function useUpResetTokens(db: Executor, userId: number) {
  await db
    .update(passwordResetTokens)
    .set({ usedAt: sql`now()` })
    .where(and(eq(passwordResetTokens.userId, userId), isNull(passwordResetTokens.usedAt)))
}
