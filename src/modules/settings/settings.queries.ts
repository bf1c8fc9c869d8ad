/** SQL for the one row of organisation settings. Every function takes an Executor. */
import { eq, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client.js'
import { LOCKS, lockForTransaction } from '../../db/locks.js'
import { organisationSettings } from '../../db/schema.js'

export type SettingsRow = typeof organisationSettings.$inferSelect

export async function findSettings(db: Executor): Promise<SettingsRow | undefined> {
  const [row] = await db.select().from(organisationSettings).where(eq(organisationSettings.id, 1)).limit(1)
  return row
}

/** Lock the row for a change (none yet: the advisory lock serialises the first insert). */
export async function lockSettings(db: Executor): Promise<SettingsRow | undefined> {
  await lockForTransaction(db, LOCKS.settings)
  const [row] = await db.select().from(organisationSettings).where(eq(organisationSettings.id, 1)).for('update')
  return row
}

export async function saveSettings(db: Executor, values: Omit<typeof organisationSettings.$inferInsert, 'id'>): Promise<SettingsRow> {
  const [row] = await db
    .insert(organisationSettings)
    .values({ id: 1, ...values })
    .onConflictDoUpdate({ target: organisationSettings.id, set: { ...values, updatedAt: sql`now()` } })
    .returning()
  if (!row) throw new Error('settings upsert returned no row')
  return row
}
