/**
 * Kuitansi: the PDF of a completed deposit for its owner, reporter or an admin, and the public
 * check of a printed or forwarded receipt through its signed link.
 */
import type { Db } from '../../db/client.js'
import type { AuthContext } from '../../lib/auth-context.js'
import { conflict, notFound } from '../../lib/errors.js'
import { toMoney } from '../../lib/money.js'
import { formatRupiah, formatTanggal } from '../../lib/rupiah.js'
import type { SettingsService } from '../settings/settings.service.js'
import { localDate } from '../transactions/instants.js'
import type { ReceiptLinks } from './receipt-links.js'
import { renderReceiptPdf } from './receipt-pdf.js'
import { findByReceiptNumber, findReceiptSource } from './receipts.queries.js'

/** "Siti Nur Aisyah" -> "S. N. A.": enough to recognise, too little to identify a stranger. */
export function initialsOf(fullname: string): string {
  return fullname
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => `${[...w][0]?.toUpperCase()}.`)
    .join(' ')
}

export function createReceiptsService(deps: { db: Db; settings: SettingsService; links: ReceiptLinks; timezone: string }) {
  const { db, settings, links, timezone } = deps
  return {
    /**
     * The kuitansi PDF. Owner, reporter or admin; anyone else gets the same 404 as for a missing id.
     * A deposit that is not completed has no receipt yet: 409 (the deposit exists and is visible).
     */
    async pdf(auth: AuthContext, id: number): Promise<{ number: string; pdf: Buffer }> {
      const source = await findReceiptSource(db, id)
      if (!source || (auth.role !== 'admin' && source.userId !== auth.userId && source.reportedBy !== auth.userId)) {
        throw notFound('Transaction')
      }
      if (source.status !== 'completed') throw conflict('This deposit is not completed yet; its kuitansi is issued when it is completed')
      const number = source.receiptNumber
      // Deposits completed before numbering existed (imported from the old backend) have none.
      if (!number) throw conflict('This deposit was completed before kuitansi numbers were issued; it has no kuitansi')
      const pdf = await renderReceiptPdf({
        header: await settings.documentHeader(),
        source: { ...source, receiptNumber: number },
        verifyUrl: links.url(number),
        timezone,
      })
      return { number, pdf }
    },

    /** Public check of a receipt link; a wrong signature and an unknown number are the same 404. */
    async verify(number: string, sig: string | undefined) {
      if (!sig || !links.verify(number, sig)) throw notFound('Receipt')
      const row = await findByReceiptNumber(db, number)
      if (!row) throw notFound('Receipt')
      return {
        valid: true as const,
        receipt_number: number,
        amount: toMoney(row.amount) as number,
        amount_text: formatRupiah(row.amount),
        deposit_date: localDate(row.transactionDate, timezone),
        deposit_date_text: formatTanggal(row.transactionDate, timezone),
        member_initials: initialsOf(row.ownerName),
      }
    },
  }
}
