/**
 * Payment methods (bank accounts, cash, e-wallets) members pick when reporting a deposit.
 * Names are unique case-insensitively. Members see only active methods. A method that money
 * records point at is never deleted: it is deactivated, so the history keeps naming it.
 */

import type { FastifyBaseLogger } from 'fastify'
import { recordAudit } from '../../db/audit.js'
import type { Db } from '../../db/client.js'
import type { PaymentInsert } from '../../db/rows.js'
import type { AuthContext } from '../../lib/auth-context.js'
import { conflict, notFound, validation } from '../../lib/errors.js'
import {
  deletePayment,
  findPaymentById,
  findPaymentByName,
  insertPayment,
  listPayments,
  paymentHasTransactions,
  updatePayment,
} from './payments.queries.js'
import type { PaymentRow } from './payments.schemas.js'

export interface PaymentInput {
  payment_name?: string | undefined
  payment_type?: string | undefined
  account_number?: string | null | undefined
  account_holder?: string | null | undefined
  is_active?: boolean | undefined
}

/** Trimmed text; blank optional details are stored as null, blank required ones are a 422. */
function required(value: string, field: string) {
  const v = value.trim()
  if (!v) throw validation('must not be blank', field)
  return v
}
const optional = (value: string | null) => (value === null ? null : value.trim() || null)

export function createPaymentsService(deps: { db: Db; log: FastifyBaseLogger }) {
  const { db, log } = deps

  return {
    /** Admins see every method (optionally filtered); members only the active ones. */
    list(auth: AuthContext, isActive?: boolean) {
      return listPayments(db, auth.role === 'admin' ? isActive : true)
    },

    /** An inactive method is 404 for members, as if it did not exist. */
    async get(auth: AuthContext, id: number) {
      const row = await findPaymentById(db, id)
      if (!row || (!row.isActive && auth.role !== 'admin')) throw notFound('Payment')
      return row
    },

    async create(auth: AuthContext, input: Required<Pick<PaymentInput, 'payment_name' | 'payment_type'>> & PaymentInput) {
      const name = required(input.payment_name, 'payment_name')
      const type = required(input.payment_type, 'payment_type')
      const row = await db.transaction(async (tx) => {
        // The unique index settles a race between two creates; this check gives the clear message.
        if (await findPaymentByName(tx, name)) throw conflict(`A payment method named "${name}" already exists`)
        const created = await insertPayment(tx, {
          paymentName: name,
          paymentType: type,
          accountNumber: optional(input.account_number ?? null),
          accountHolder: optional(input.account_holder ?? null),
          isActive: input.is_active ?? true,
        })
        await recordAudit(tx, { actorId: auth.userId, action: 'payment.created', entity: 'payment', entityId: created.id })
        return created
      })
      log.info({ event: 'payment.create', paymentId: row.id, by: auth.userId }, 'payment method created')
      return row
    },

    async update(auth: AuthContext, id: number, input: PaymentInput): Promise<PaymentRow> {
      const values: Partial<PaymentInsert> = {}
      if (input.payment_name !== undefined) values.paymentName = required(input.payment_name, 'payment_name')
      if (input.payment_type !== undefined) values.paymentType = required(input.payment_type, 'payment_type')
      if (input.account_number !== undefined) values.accountNumber = optional(input.account_number)
      if (input.account_holder !== undefined) values.accountHolder = optional(input.account_holder)
      if (input.is_active !== undefined) values.isActive = input.is_active
      const row = await db.transaction(async (tx) => {
        const current = await findPaymentById(tx, id, true)
        if (!current) throw notFound('Payment')
        if (values.paymentName && (await findPaymentByName(tx, values.paymentName, id))) {
          throw conflict(`A payment method named "${values.paymentName}" already exists`)
        }
        const updated = await updatePayment(tx, id, values)
        if (!updated) throw notFound('Payment')
        await recordAudit(tx, {
          actorId: auth.userId,
          action: 'payment.updated',
          entity: 'payment',
          entityId: id,
          details: { fields: Object.keys(values) },
        })
        return updated
      })
      log.info({ event: 'payment.update', paymentId: id, by: auth.userId }, 'payment method updated')
      return row
    },

    /**
     * Delete a method nobody used; deactivate one that transactions point at. The row lock
     * conflicts with the key-share lock of a new transaction's foreign key, so the check holds.
     */
    async delete(auth: AuthContext, id: number): Promise<{ outcome: 'deleted' } | { outcome: 'deactivated'; payment: PaymentRow }> {
      const result = await db.transaction(async (tx) => {
        const current = await findPaymentById(tx, id, true)
        if (!current) throw notFound('Payment')
        if (await paymentHasTransactions(tx, id)) {
          const payment = (await updatePayment(tx, id, { isActive: false })) ?? current
          await recordAudit(tx, { actorId: auth.userId, action: 'payment.deactivated', entity: 'payment', entityId: id })
          return { outcome: 'deactivated' as const, payment }
        }
        await deletePayment(tx, id)
        await recordAudit(tx, {
          actorId: auth.userId,
          action: 'payment.deleted',
          entity: 'payment',
          entityId: id,
          details: { name: current.paymentName },
        })
        return { outcome: 'deleted' as const }
      })
      log.info({ event: `payment.${result.outcome}`, paymentId: id, by: auth.userId }, `payment method ${result.outcome}`)
      return result
    },
  }
}

export type PaymentsService = ReturnType<typeof createPaymentsService>
