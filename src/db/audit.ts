/**
 * The audit trail: who did what to money and accounts (soft deletes, status-independent edits,
 * role and activation changes, deletions). One function so every module records it the same way,
 * inside the caller's transaction.
 */
import type { Executor } from './client.js'
import { auditLog } from './schema.js'

export async function recordAudit(db: Executor, entry: typeof auditLog.$inferInsert) {
  await db.insert(auditLog).values(entry)
}
