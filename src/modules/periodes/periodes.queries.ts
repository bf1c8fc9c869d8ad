/** SQL for periodes. Functions take an executor so the service can compose them in a transaction. */
import { and, asc, eq, gte, lte, ne, type SQL, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client.js'
import { periodes, transactions } from '../../db/schema.js'

export async function listPeriodes(db: Executor, activeOn?: string) {
  const where = activeOn ? and(lte(periodes.startDate, activeOn), gte(periodes.endDate, activeOn)) : undefined
  return db.select().from(periodes).where(where).orderBy(asc(periodes.startDate), asc(periodes.id))
}

export async function findPeriodeById(db: Executor, id: number, lock = false) {
  const query = db.select().from(periodes).where(eq(periodes.id, id)).limit(1)
  const [row] = lock ? await query.for('update') : await query
  return row
}

/** Another periode with the same name, compared case-insensitively like the unique index. */
export async function findPeriodeByName(db: Executor, name: string, exceptId?: number) {
  const conds: SQL[] = [eq(sql`lower(${periodes.periodeName})`, name.toLowerCase())]
  if (exceptId) conds.push(ne(periodes.id, exceptId))
  const [row] = await db
    .select({ id: periodes.id })
    .from(periodes)
    .where(and(...conds))
    .limit(1)
  return row
}

/**
 * Periodes sharing at least one day with [start, end]. Both ends are inclusive (that is how
 * `active_on` reads them), so a periode may start the day after another ends, not on its last day.
 */
export async function findOverlapping(db: Executor, start: string, end: string, exceptId?: number) {
  const conds: SQL[] = [lte(periodes.startDate, end), gte(periodes.endDate, start)]
  if (exceptId) conds.push(ne(periodes.id, exceptId))
  return db
    .select()
    .from(periodes)
    .where(and(...conds))
    .orderBy(asc(periodes.startDate))
    .limit(5)
}

/** Whether any transaction (soft-deleted ones included: they still reference it) points at the periode. */
export async function periodeHasTransactions(db: Executor, id: number) {
  const [row] = await db.select({ id: transactions.id }).from(transactions).where(eq(transactions.periodeId, id)).limit(1)
  return row !== undefined
}

export async function insertPeriode(db: Executor, values: typeof periodes.$inferInsert) {
  const [row] = await db.insert(periodes).values(values).returning()
  if (!row) throw new Error('periode insert returned no row')
  return row
}

export async function updatePeriode(db: Executor, id: number, values: Partial<typeof periodes.$inferInsert>) {
  const [row] = await db
    .update(periodes)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(periodes.id, id))
    .returning()
  return row
}

export async function deletePeriode(db: Executor, id: number) {
  await db.delete(periodes).where(eq(periodes.id, id))
}
