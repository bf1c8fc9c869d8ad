/**
 * Fixtures for the transaction tests: receipt images, hand-built multipart bodies, and periodes,
 * payments and transactions inserted directly (so these tests do not depend on other modules' routes).
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { payments, periodes, transactions } from '../../src/db/schema.js'
import { type TestApp, unique } from '../helpers/app.js'

let shade = 0
/** A real JPEG with unique content (so its sha256 differs from every other one made here). */
export async function jpeg(): Promise<Buffer> {
  shade += 1
  const v = shade % 256
  const w = 64 + Math.floor(shade / 256)
  return sharp({ create: { width: w, height: 64, channels: 3, background: { r: v, g: 255 - v, b: (v * 7) % 256 } } })
    .jpeg()
    .toBuffer()
}

export interface FilePart {
  field: string
  filename: string
  type: string
  data: Buffer
}

/** A multipart/form-data body exactly as a Ktor client sends it: text fields, then file parts. */
export function form(fields: Record<string, string>, files: FilePart[] = []) {
  const boundary = `----ktor${randomUUID()}`
  const chunks: Buffer[] = []
  for (const [k, v] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`))
  }
  for (const f of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.filename}"\r\nContent-Type: ${f.type}\r\n\r\n`,
      ),
      f.data,
      Buffer.from('\r\n'),
    )
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

export const receipt = (data: Buffer): FilePart => ({ field: 'file', filename: 'bukti.jpg', type: 'image/jpeg', data })

export async function makePeriode(t: TestApp, start: string, end: string) {
  const [row] = await t.db.database.db
    .insert(periodes)
    .values({ periodeName: unique('Periode '), startDate: start, endDate: end, targetAmount: '5000000.00' })
    .returning()
  if (!row) throw new Error('periode insert failed')
  return row
}

export async function makePayment(t: TestApp, active = true) {
  const [row] = await t.db.database.db
    .insert(payments)
    .values({ paymentName: unique('Bank '), paymentType: 'bank_transfer', accountNumber: '1234567890', isActive: active })
    .returning()
  if (!row) throw new Error('payment insert failed')
  return row
}

/** A transaction row inserted directly (status history is not needed by the tests that use this). */
export async function makeTransaction(
  t: TestApp,
  values: {
    userId: number
    reportedBy?: number
    amount?: string
    status?: 'sent' | 'on_process' | 'completed' | 'rejected'
    date?: Date
    periodeId?: number
  },
) {
  const [row] = await t.db.database.db
    .insert(transactions)
    .values({
      userId: values.userId,
      reportedBy: values.reportedBy ?? values.userId,
      amount: values.amount ?? '100000.00',
      status: values.status ?? 'sent',
      transactionDate: values.date ?? new Date('2025-06-01T03:00:00Z'),
      periodeId: values.periodeId ?? null,
    })
    .returning()
  if (!row) throw new Error('transaction insert failed')
  return row
}

/** Regular files under `dir`, recursively (none when it does not exist). */
export function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => statSync(path.join(dir, p)).isFile())
  } catch {
    return []
  }
}

/** The fields of a listed transaction the list tests look at. */
export interface ListItem {
  id: number
  amount: number
  status: string
  user: { fullname: string; email: string | null }
  confirmed_by: { id: number; fullname: string } | null
  payment: { payment_name: string } | null
  periode: { periode_name: string } | null
}

/** The listed transaction with this id (fails the test when it is not listed). */
export function listedItem(items: ListItem[], id: number): ListItem {
  const found = items.find((i) => i.id === id)
  assert.ok(found, `transaction ${id} listed`)
  return found
}
