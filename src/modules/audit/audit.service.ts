/**
 * The audit log as admins and auditors read it (SPEC §8). The table stores what each writer chose
 * to keep in `details`; this maps every shape to `before` / `after`:
 *  - `{before, after}` (settings, deposit status changes) as they are;
 *  - `{from, to}` (periode updates, role and activation changes): from -> before, to -> after;
 *  - removals (`*.deleted`, `*.delete`, `*.anonymised`, `*.deactivated`): details -> before;
 *  - anything else (creations, payment updates' changed fields): details -> after.
 */
import { Readable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Db } from '../../db/client.js'
import { validation } from '../../lib/errors.js'
import { csvLine } from '../reports/reports.csv.js'
import { parseInstant, startOfNextDay } from '../transactions/instants.js'
import { type AuditFilter, type AuditRow, countAudit, listAudit } from './audit.queries.js'

export interface AuditQueryInput {
  actor_id?: number | undefined
  entity?: string | undefined
  entity_id?: number | undefined
  from?: string | undefined
  to?: string | undefined
}

const REMOVAL = /\.(deleted|delete|anonymised|deactivated)$/
const CSV_BATCH = 1000
const CSV_COLUMNS = ['id', 'created_at', 'actor_id', 'actor_fullname', 'action', 'entity', 'entity_id', 'before', 'after'] as const

export function beforeAfter(action: string, details: unknown): { before: unknown; after: unknown } {
  if (details && typeof details === 'object' && !Array.isArray(details)) {
    const d = details as Record<string, unknown>
    if ('before' in d || 'after' in d) return { before: d.before ?? null, after: d.after ?? null }
    if ('from' in d && 'to' in d) return { before: d.from ?? null, after: d.to ?? null }
  }
  const value = details ?? null
  return REMOVAL.test(action) ? { before: value, after: null } : { before: null, after: value }
}

export function toAuditJson(r: AuditRow) {
  return {
    id: r.id,
    actor: r.actorId !== null && r.actorName !== null ? { id: r.actorId, fullname: r.actorName } : null,
    action: r.action,
    entity: r.entity,
    entity_id: r.entityId,
    ...beforeAfter(r.action, r.details),
    created_at: r.createdAt.toISOString(),
  }
}

export function createAuditService(deps: { db: Db; timezone: string }) {
  const { db, timezone } = deps

  function filterOf(q: AuditQueryInput): AuditFilter {
    const f: AuditFilter = { actorId: q.actor_id, entity: q.entity, entityId: q.entity_id }
    if (q.from !== undefined) {
      const parsed = parseInstant(q.from, timezone)
      if (!parsed) throw validation('must be a date (YYYY-MM-DD) or an ISO 8601 instant', 'from')
      f.from = parsed.date
    }
    if (q.to !== undefined) {
      const parsed = parseInstant(q.to, timezone)
      if (!parsed) throw validation('must be a date (YYYY-MM-DD) or an ISO 8601 instant', 'to')
      // `to=2026-11-30` is the whole of that local day; an instant is an inclusive bound.
      if (parsed.dateOnly) f.toExclusive = startOfNextDay(parsed.date, timezone)
      else f.toInclusive = parsed.date
    }
    return f
  }

  return {
    async list(q: AuditQueryInput & { page: number; per_page: number }) {
      const f = filterOf(q)
      const [rows, total] = await Promise.all([listAudit(db, f, q.per_page, (q.page - 1) * q.per_page), countAudit(db, f)])
      return { data: rows.map(toAuditJson), meta: { page: q.page, per_page: q.per_page, total } }
    },

    /**
     * The filtered log as CSV, newest first, in keyset batches on id (constant memory, no
     * transaction held open between batches). The first batch is read before the stream is
     * returned, so a database failure is an error response, not a truncated file.
     */
    async csv(q: AuditQueryInput): Promise<Readable> {
      const f = filterOf(q)
      const first = await listAudit(db, f, CSV_BATCH)
      const encode = (rows: AuditRow[]) =>
        rows
          .map((r) => {
            const e = toAuditJson(r)
            return csvLine([
              e.id,
              e.created_at,
              e.actor?.id ?? null,
              e.actor?.fullname ?? null,
              e.action,
              e.entity,
              e.entity_id,
              e.before === null ? null : JSON.stringify(e.before),
              e.after === null ? null : JSON.stringify(e.after),
            ])
          })
          .join('')
      async function* chunks(): AsyncGenerator<string> {
        yield `\uFEFF${csvLine(CSV_COLUMNS)}`
        let batch = first
        while (batch.length) {
          yield encode(batch)
          if (batch.length < CSV_BATCH) return
          const last = batch[batch.length - 1] as AuditRow
          // A turn of the event loop between batches: PGlite answers in microtasks only.
          await nextTurn()
          batch = await listAudit(db, { ...f, beforeId: last.id }, CSV_BATCH)
        }
      }
      return Readable.from(chunks(), { objectMode: false })
    },
  }
}
