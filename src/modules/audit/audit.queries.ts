/** SQL for reading the audit log: filtered, newest first, with the actor's name. */
import { and, desc, eq, gte, lt, lte, type SQL, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client.js'
import { auditLog, users } from '../../db/schema.js'

export interface AuditFilter {
  actorId?: number | undefined
  entity?: string | undefined
  entityId?: number | undefined
  from?: Date | undefined
  toExclusive?: Date | undefined
  toInclusive?: Date | undefined
  /** Keyset: only entries with a smaller id (CSV batches). */
  beforeId?: number | undefined
}

function where(f: AuditFilter): SQL | undefined {
  const conds: SQL[] = []
  if (f.actorId !== undefined) conds.push(eq(auditLog.actorId, f.actorId))
  if (f.entity !== undefined) conds.push(eq(auditLog.entity, f.entity))
  if (f.entityId !== undefined) conds.push(eq(auditLog.entityId, f.entityId))
  if (f.from) conds.push(gte(auditLog.createdAt, f.from))
  if (f.toExclusive) conds.push(lt(auditLog.createdAt, f.toExclusive))
  if (f.toInclusive) conds.push(lte(auditLog.createdAt, f.toInclusive))
  if (f.beforeId !== undefined) conds.push(lt(auditLog.id, f.beforeId))
  return conds.length ? and(...conds) : undefined
}

export type AuditRow = Awaited<ReturnType<typeof listAudit>>[number]

/** Newest first by id (ids follow insertion order; created_at is the transaction's start). */
export async function listAudit(db: Executor, f: AuditFilter, limit: number, offset = 0) {
  return db
    .select({
      id: auditLog.id,
      actorId: auditLog.actorId,
      actorName: users.fullname,
      action: auditLog.action,
      entity: auditLog.entity,
      entityId: auditLog.entityId,
      details: auditLog.details,
      createdAt: auditLog.createdAt,
    })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.actorId))
    .where(where(f))
    .orderBy(desc(auditLog.id))
    .limit(limit)
    .offset(offset)
}

export async function countAudit(db: Executor, f: AuditFilter): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(auditLog).where(where(f))
  return Number(row?.n ?? 0)
}
