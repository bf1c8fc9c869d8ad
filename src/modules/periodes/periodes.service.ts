/**
 * Saving periods. Rules: start_date < end_date, names unique case-insensitively, no two periodes
 * share a day, and a periode that money records point at is never deleted. Every write runs in a
 * transaction that first takes one advisory lock, so two concurrent writes cannot both pass the
 * overlap check (a plain SELECT cannot see the other's uncommitted row).
 */

import type { FastifyBaseLogger } from 'fastify'
import { recordAudit } from '../../db/audit.js'
import type { Db, Tx } from '../../db/client.js'
import { LOCKS, lockForTransaction } from '../../db/locks.js'
import type { AuthContext } from '../../lib/auth-context.js'
import { conflict, notFound, validation } from '../../lib/errors.js'
import { parseAmount } from '../../lib/money.js'
import {
  deletePeriode,
  findOverlapping,
  findPeriodeById,
  findPeriodeByName,
  insertPeriode,
  listPeriodes,
  periodeHasTransactions,
  updatePeriode,
} from './periodes.queries.js'
import type { PeriodeRow } from './periodes.schemas.js'

export interface PeriodeInput {
  periode_name?: string | undefined
  start_date?: string | undefined
  end_date?: string | undefined
  target_amount?: number | string | null | undefined
}

/** Every periode write is serialised (overlaps are checked against committed periodes only). */
const lockPeriodes = (tx: Tx) => lockForTransaction(tx, LOCKS.periodes)

function targetOf(value: number | string | null): string | null {
  if (value === null) return null
  const amount = parseAmount(value)
  if (!amount) throw validation('must be an amount > 0 with at most 2 decimals, at most 1,000,000,000,000', 'target_amount')
  return amount
}

export function createPeriodesService(deps: { db: Db; log: FastifyBaseLogger }) {
  const { db, log } = deps

  /** The checks shared by create and update, on the periode as it would be after the write. */
  async function checkRules(tx: Tx, next: { name: string; start: string; end: string }, exceptId?: number) {
    if (next.start >= next.end) throw validation('must be after start_date', 'end_date')
    if (await findPeriodeByName(tx, next.name, exceptId)) throw conflict(`A periode named "${next.name}" already exists`)
    const overlapping = await findOverlapping(tx, next.start, next.end, exceptId)
    if (overlapping.length) {
      const names = overlapping.map((p) => `${p.periodeName} (${p.startDate} to ${p.endDate})`).join(', ')
      throw conflict(`The dates overlap another periode: ${names}`)
    }
  }

  return {
    list: (activeOn?: string) => listPeriodes(db, activeOn),

    async get(id: number) {
      const row = await findPeriodeById(db, id)
      if (!row) throw notFound('Periode')
      return row
    },

    async create(auth: AuthContext, input: Required<Pick<PeriodeInput, 'periode_name' | 'start_date' | 'end_date'>> & PeriodeInput) {
      const name = input.periode_name.trim()
      if (!name) throw validation('must not be blank', 'periode_name')
      const targetAmount = input.target_amount === undefined ? null : targetOf(input.target_amount)
      const row = await db.transaction(async (tx) => {
        await lockPeriodes(tx)
        await checkRules(tx, { name, start: input.start_date, end: input.end_date })
        const created = await insertPeriode(tx, { periodeName: name, startDate: input.start_date, endDate: input.end_date, targetAmount })
        await recordAudit(tx, { actorId: auth.userId, action: 'periode.created', entity: 'periode', entityId: created.id })
        return created
      })
      log.info({ event: 'periode.create', periodeId: row.id, by: auth.userId }, 'periode created')
      return row
    },

    /** Partial update; the result must satisfy every rule, checked under the same lock as create. */
    async update(auth: AuthContext, id: number, input: PeriodeInput): Promise<PeriodeRow> {
      const name = input.periode_name?.trim()
      if (name === '') throw validation('must not be blank', 'periode_name')
      const targetAmount = input.target_amount === undefined ? undefined : targetOf(input.target_amount)
      const row = await db.transaction(async (tx) => {
        await lockPeriodes(tx)
        const current = await findPeriodeById(tx, id, true)
        if (!current) throw notFound('Periode')
        const next = {
          name: name ?? current.periodeName,
          start: input.start_date ?? current.startDate,
          end: input.end_date ?? current.endDate,
        }
        await checkRules(tx, next, id)
        const values = {
          periodeName: next.name,
          startDate: next.start,
          endDate: next.end,
          ...(targetAmount !== undefined ? { targetAmount } : {}),
        }
        const updated = await updatePeriode(tx, id, values)
        if (!updated) throw notFound('Periode')
        await recordAudit(tx, {
          actorId: auth.userId,
          action: 'periode.updated',
          entity: 'periode',
          entityId: id,
          details: {
            from: { name: current.periodeName, start: current.startDate, end: current.endDate, target: current.targetAmount },
            to: { name: updated.periodeName, start: updated.startDate, end: updated.endDate, target: updated.targetAmount },
          },
        })
        return updated
      })
      log.info({ event: 'periode.update', periodeId: id, by: auth.userId }, 'periode updated')
      return row
    },

    /**
     * Delete a periode nobody saved in. The row lock conflicts with the key-share lock a new
     * transaction's foreign key takes, so a deposit cannot slip in between the check and the delete.
     */
    async delete(auth: AuthContext, id: number) {
      await db.transaction(async (tx) => {
        const current = await findPeriodeById(tx, id, true)
        if (!current) throw notFound('Periode')
        if (await periodeHasTransactions(tx, id)) throw conflict('This periode has transactions and cannot be deleted')
        await deletePeriode(tx, id)
        await recordAudit(tx, {
          actorId: auth.userId,
          action: 'periode.deleted',
          entity: 'periode',
          entityId: id,
          details: { name: current.periodeName, start: current.startDate, end: current.endDate },
        })
      })
      log.info({ event: 'periode.delete', periodeId: id, by: auth.userId }, 'periode deleted')
    },
  }
}

export type PeriodesService = ReturnType<typeof createPeriodesService>
