/**
 * `import-fastapi <postgres-url> [--merge]`: copy users (with their argon2/bcrypt hashes, which log
 * in and are rehashed on first login), periodes, payments and transactions from the old FastAPI
 * backend's database into ours, keeping the old ids so every reference stays valid.
 *
 * The old schema came from SQLAlchemy models whose exact column names varied between versions, so
 * each column is looked up among a few documented candidates (COLUMN_CANDIDATES below); enums are
 * read as text in any case ('ADMIN' and 'admin' alike). Everything is written in one transaction:
 * a conflict (two users whose emails differ only in case, a periode name used twice...) aborts the
 * whole import with a list of what to fix in the source, instead of silently dropping a row.
 * Rows whose id already exists are left alone (ON CONFLICT (id) DO NOTHING), so a second run with
 * --merge changes nothing; without --merge a non-empty target is refused.
 */
import pg from 'pg'
import type { Database, Executor } from '../db/client.js'
import { normaliseEmail, normalisePhone } from '../lib/identity.js'
import {
  advanceIdSequences,
  countCommunity,
  findIdentityClashes,
  insertPayments,
  insertPeriodes,
  insertStatusHistory,
  insertTransactions,
  insertUsers,
} from './bulk.queries.js'

type Table = 'users' | 'periodes' | 'payments' | 'transactions'

/** For each field we need: the column names the old models are known or likely to have used. */
export const COLUMN_CANDIDATES: Record<Table, Record<string, string[]>> = {
  users: {
    id: ['id'],
    fullname: ['fullname', 'full_name', 'name'],
    username: ['username', 'user_name'],
    email: ['email'],
    phone_number: ['phone_number', 'phone', 'no_hp', 'phonenumber'],
    domisili: ['domisili', 'domicile', 'address'],
    user_type: ['user_type', 'usertype', 'role', 'type'],
    password: ['password', 'hashed_password', 'password_hash'],
    image_profile_url: ['image_profile_url', 'image_profile', 'profile_image_url', 'photo_url'],
    is_active: ['is_active', 'active'],
    created_at: ['created_at', 'created_date'],
    updated_at: ['updated_at', 'updated_date'],
  },
  periodes: {
    id: ['id'],
    periode_name: ['periode_name', 'name', 'nama_periode', 'period_name'],
    start_date: ['start_date', 'tanggal_mulai'],
    end_date: ['end_date', 'tanggal_selesai'],
    target_amount: ['target_amount', 'target'],
    created_at: ['created_at', 'created_date'],
    updated_at: ['updated_at', 'updated_date'],
  },
  payments: {
    id: ['id'],
    payment_name: ['payment_name', 'name'],
    payment_type: ['payment_type', 'type'],
    account_number: ['account_number', 'nomor_rekening', 'no_rekening'],
    account_holder: ['account_holder', 'account_name', 'atas_nama'],
    is_active: ['is_active', 'active'],
    created_at: ['created_at', 'created_date'],
    updated_at: ['updated_at', 'updated_date'],
  },
  transactions: {
    id: ['id'],
    amount: ['amount', 'nominal'],
    transaction_date: ['transaction_date', 'date', 'tanggal_transaksi'],
    bukti_transfer_url: ['bukti_transfer_url', 'bukti_transfer', 'proof_url', 'receipt_url', 'image_url'],
    status: ['status', 'transaction_status'],
    user_id: ['user_id', 'member_id'],
    reported_by: ['reported_by_user_id', 'reported_by', 'reporter_id', 'reported_by_id'],
    confirmed_by: ['confirmed_by', 'confirmed_by_user_id', 'confirmed_by_id', 'verified_by'],
    payment_id: ['payment_id'],
    periode_id: ['periode_id', 'period_id'],
    reported_date: ['reported_date', 'report_date'],
    created_at: ['created_at', 'created_date'],
    updated_at: ['updated_at', 'updated_date'],
  },
}

const REQUIRED: Record<Table, string[]> = {
  users: ['id', 'fullname', 'username', 'email', 'password'],
  periodes: ['id', 'periode_name', 'start_date', 'end_date'],
  payments: ['id', 'payment_name'],
  transactions: ['id', 'amount', 'status', 'user_id'],
}

export interface TableCounts {
  source: number
  inserted: number
  alreadyPresent: number
  targetAfter: number
}

export interface ImportReport {
  counts: Record<Table, TableCounts>
  /** Fixed on the way in, with why (phone dropped, profile image URL not carried over...). */
  warnings: string[]
}

export class ImportError extends Error {
  override name = 'ImportError'
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}:\n  - ${problems.join('\n  - ')}` : message)
  }
}

export interface ImportOptions {
  merge?: boolean
  /** Zone of the old `timestamp without time zone` columns (SQLAlchemy's default DateTime). */
  sourceTimezone?: string
  /** Rows written of rows to write (users, periodes, payments, transactions), after each slice. */
  onProgress?: (done: number, total: number) => void
}

type Row = Record<string, unknown>

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`
const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`

/** The SELECT reading one old table with our field names; missing optional columns read as NULL. */
async function readTable(source: pg.Client, table: Table, tz: string): Promise<{ rows: Row[]; present: Set<string> }> {
  const { rows: cols } = await source.query<{ column_name: string; data_type: string }>(
    `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  )
  if (cols.length === 0) throw new ImportError(`the source database has no table "${table}" (is this the old backend's database?)`)
  const types = new Map(cols.map((c) => [c.column_name.toLowerCase(), c.data_type]))
  const select: string[] = []
  const present = new Set<string>()
  const missing: string[] = []
  for (const [field, candidates] of Object.entries(COLUMN_CANDIDATES[table])) {
    const column = candidates.find((c) => types.has(c))
    if (!column) {
      if (REQUIRED[table].includes(field)) missing.push(`${table}.${field} (looked for ${candidates.join(', ')})`)
      select.push(`NULL AS ${quoteIdent(field)}`)
      continue
    }
    present.add(field)
    const type = types.get(column) as string
    const col = quoteIdent(column)
    let expr: string
    if (type === 'timestamp without time zone') expr = `(${col} AT TIME ZONE ${quoteLiteral(tz)})`
    else if (field === 'start_date' || field === 'end_date') expr = `(${col})::date::text`
    // Money as exact text: NUMERIC stays exact; a float column is rounded to cents in SQL, not in JS.
    else if (field === 'amount' || field === 'target_amount') expr = `round((${col})::numeric, 2)::text`
    // Enums (either case), integers stored as text, and the like: read as text, normalised below.
    else if (field === 'user_type' || field === 'status') expr = `lower((${col})::text)`
    else if (field === 'is_active') expr = `(${col})::boolean`
    else if (field.endsWith('_id') || field === 'id' || field === 'reported_by' || field === 'confirmed_by') expr = `(${col})::integer`
    else expr = `(${col})::text`
    select.push(`${expr} AS ${quoteIdent(field)}`)
  }
  if (missing.length) throw new ImportError('the source schema lacks required columns', missing)
  const { rows: data } = await source.query<Row>(`SELECT ${select.join(', ')} FROM ${quoteIdent(table)} ORDER BY 1`)
  return { rows: data, present }
}

const STATUSES = new Set(['sent', 'on_process', 'completed', 'rejected'])

/** Old enum spellings: SQLAlchemy stores member NAMES ('ON_PROCESS'); some used 'onprocess'/'in_process'. */
function statusOf(raw: unknown): string | undefined {
  const v = String(raw ?? '')
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_')
  if (STATUSES.has(v)) return v
  if (v === 'onprocess' || v === 'in_process' || v === 'process' || v === 'processing') return 'on_process'
  if (v === 'complete' || v === 'confirmed' || v === 'done') return 'completed'
  if (v === 'reject') return 'rejected'
  return undefined
}

function roleOf(raw: unknown): 'admin' | 'member' | undefined {
  const v = String(raw ?? '')
    .trim()
    .toLowerCase()
  if (v === 'admin') return 'admin'
  if (v === 'member' || v === 'user') return 'member'
  return undefined
}

const when = (v: unknown): Date | undefined => (v instanceof Date ? v : v ? new Date(String(v)) : undefined)

async function counts(db: Executor): Promise<Record<Table, number>> {
  const { users, periodes, payments, transactions } = await countCommunity(db)
  return { users, periodes, payments, transactions }
}

/** Insert in slices (large imports stay under the bind-parameter limit); returns the ids inserted. */
async function insertSlices<T>(
  values: T[],
  insert: (slice: T[]) => Promise<{ id: number }[]>,
  onSlice?: (rows: number) => void,
): Promise<number[]> {
  const ids: number[] = []
  for (let i = 0; i < values.length; i += 500) {
    const slice = values.slice(i, i + 500)
    ids.push(...(await insert(slice)).map((r) => r.id))
    onSlice?.(slice.length)
  }
  return ids
}

export async function importFastapi(sourceUrl: string, target: Database, options: ImportOptions = {}): Promise<ImportReport> {
  const tz = options.sourceTimezone ?? 'UTC'
  const source = new pg.Client({ connectionString: sourceUrl, application_name: 'talangraga-import' })
  await source.connect()
  let old: Record<Table, { rows: Row[]; present: Set<string> }>
  try {
    // One snapshot of the source: the four tables agree with each other.
    await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    old = {
      users: await readTable(source, 'users', tz),
      periodes: await readTable(source, 'periodes', tz),
      payments: await readTable(source, 'payments', tz),
      transactions: await readTable(source, 'transactions', tz),
    }
    await source.query('COMMIT')
  } finally {
    await source.end()
  }

  const warnings: string[] = []
  const problems: string[] = []

  // Users: normalise identities and find collisions among the old rows themselves.
  const seenEmail = new Map<string, number>()
  const seenUsername = new Map<string, number>()
  const seenPhone = new Map<string, number>()
  let profileUrls = 0
  const userValues = old.users.rows.map((r) => {
    const id = Number(r.id)
    const role = roleOf(r.user_type)
    if (r.user_type != null && !role) problems.push(`users.id=${id}: unknown user_type ${JSON.stringify(r.user_type)}`)
    const email = r.email ? normaliseEmail(String(r.email)) : null
    if (!email) warnings.push(`users.id=${id}: no email (can log in by username only)`)
    else if (seenEmail.has(email))
      problems.push(`users.id=${id}: email ${email} also used by users.id=${seenEmail.get(email)} (emails are unique ignoring case)`)
    else seenEmail.set(email, id)
    const username = String(r.username ?? '').trim()
    if (!username) problems.push(`users.id=${id}: empty username`)
    else if (seenUsername.has(username.toLowerCase()))
      problems.push(
        `users.id=${id}: username ${username} also used by users.id=${seenUsername.get(username.toLowerCase())} (usernames are unique ignoring case)`,
      )
    else seenUsername.set(username.toLowerCase(), id)
    let phone: string | null = null
    if (r.phone_number != null && String(r.phone_number).trim()) {
      const normalised = normalisePhone(String(r.phone_number))
      if (!normalised) warnings.push(`users.id=${id}: phone ${JSON.stringify(r.phone_number)} is not a phone number; left empty`)
      else if (seenPhone.has(normalised))
        warnings.push(
          `users.id=${id}: phone ${normalised} already belongs to users.id=${seenPhone.get(normalised)}; left empty (phones are unique)`,
        )
      else {
        seenPhone.set(normalised, id)
        phone = normalised
      }
    }
    const hash = r.password ? String(r.password) : null
    if (!hash || !/^\$(argon2(id|i|d)\$|2[aby]\$)/.test(hash))
      warnings.push(`users.id=${id}: password hash is not argon2 or bcrypt; the user must reset the password`)
    if (r.image_profile_url) profileUrls += 1
    const created = when(r.created_at)
    return {
      id,
      fullname: String(r.fullname ?? username),
      username,
      email,
      phoneNumber: phone,
      domisili: r.domisili == null ? null : String(r.domisili),
      userType: role ?? 'member',
      passwordHash: hash,
      isActive: r.is_active == null ? true : Boolean(r.is_active),
      ...(created ? { createdAt: created } : {}),
      ...((when(r.updated_at) ?? created) ? { updatedAt: (when(r.updated_at) ?? created) as Date } : {}),
    }
  })
  if (profileUrls) warnings.push(`${profileUrls} profile image URL(s) not carried over (files of the old server); users can upload again`)

  const periodeNames = new Map<string, number>()
  const periodeValues = old.periodes.rows.map((r) => {
    const id = Number(r.id)
    const name = String(r.periode_name ?? '').trim()
    if (periodeNames.has(name.toLowerCase()))
      problems.push(`periodes.id=${id}: name ${name} also used by periodes.id=${periodeNames.get(name.toLowerCase())}`)
    periodeNames.set(name.toLowerCase(), id)
    if (!(String(r.start_date) < String(r.end_date)))
      problems.push(`periodes.id=${id}: start_date ${r.start_date} is not before end_date ${r.end_date}`)
    const target = r.target_amount == null || Number(r.target_amount) <= 0 ? null : String(r.target_amount)
    const created = when(r.created_at)
    return {
      id,
      periodeName: name,
      startDate: String(r.start_date),
      endDate: String(r.end_date),
      targetAmount: target,
      ...(created ? { createdAt: created, updatedAt: when(r.updated_at) ?? created } : {}),
    }
  })

  const paymentNames = new Map<string, number>()
  const paymentValues = old.payments.rows.map((r) => {
    const id = Number(r.id)
    const name = String(r.payment_name ?? '').trim()
    if (paymentNames.has(name.toLowerCase()))
      problems.push(`payments.id=${id}: name ${name} also used by payments.id=${paymentNames.get(name.toLowerCase())}`)
    paymentNames.set(name.toLowerCase(), id)
    const created = when(r.created_at)
    return {
      id,
      paymentName: name,
      paymentType: r.payment_type == null ? 'transfer' : String(r.payment_type).toLowerCase(),
      accountNumber: r.account_number == null ? null : String(r.account_number),
      accountHolder: r.account_holder == null ? null : String(r.account_holder),
      isActive: r.is_active == null ? true : Boolean(r.is_active),
      ...(created ? { createdAt: created, updatedAt: when(r.updated_at) ?? created } : {}),
    }
  })

  const userIds = new Set(userValues.map((u) => u.id))
  const txValues = old.transactions.rows.map((r) => {
    const id = Number(r.id)
    const status = statusOf(r.status)
    if (!status) problems.push(`transactions.id=${id}: unknown status ${JSON.stringify(r.status)}`)
    const amount = String(r.amount ?? '')
    if (!(Number(amount) > 0 && Number(amount) <= 1e12))
      problems.push(`transactions.id=${id}: amount ${amount} is not between 0 and 1,000,000,000,000`)
    const userId = Number(r.user_id)
    // The reporter is required here; old rows without one were reported by their owner.
    const reportedBy = r.reported_by == null ? userId : Number(r.reported_by)
    for (const [field, ref] of [
      ['user_id', userId],
      ['reported_by', reportedBy],
      ['confirmed_by', r.confirmed_by == null ? undefined : Number(r.confirmed_by)],
    ] as const) {
      if (ref !== undefined && !userIds.has(ref)) problems.push(`transactions.id=${id}: ${field} ${ref} is not a user`)
    }
    const date = when(r.transaction_date) ?? when(r.created_at)
    if (!date) problems.push(`transactions.id=${id}: no transaction_date`)
    const created = when(r.created_at)
    const final = status === 'completed' || status === 'rejected'
    return {
      id,
      amount,
      transactionDate: date as Date,
      status: (status ?? 'sent') as 'sent' | 'on_process' | 'completed' | 'rejected',
      userId,
      reportedBy,
      confirmedBy: r.confirmed_by == null ? null : Number(r.confirmed_by),
      // When it was confirmed is unknown; the last update of a final transaction is the best evidence.
      confirmedAt: final && r.confirmed_by != null ? (when(r.updated_at) ?? null) : null,
      paymentId: r.payment_id == null ? null : Number(r.payment_id),
      periodeId: r.periode_id == null ? null : Number(r.periode_id),
      legacyProofUrl: r.bukti_transfer_url == null ? null : String(r.bukti_transfer_url),
      ...((when(r.reported_date) ?? created) ? { reportedDate: (when(r.reported_date) ?? created) as Date } : {}),
      ...(created ? { createdAt: created, updatedAt: when(r.updated_at) ?? created } : {}),
    }
  })
  const periodeIds = new Set(periodeValues.map((p) => p.id))
  const paymentIds = new Set(paymentValues.map((p) => p.id))
  for (const t of txValues) {
    if (t.periodeId !== null && !periodeIds.has(t.periodeId))
      problems.push(`transactions.id=${t.id}: periode_id ${t.periodeId} does not exist`)
    if (t.paymentId !== null && !paymentIds.has(t.paymentId))
      problems.push(`transactions.id=${t.id}: payment_id ${t.paymentId} does not exist`)
  }
  if (problems.length) throw new ImportError(`nothing imported: ${problems.length} problem(s) in the source data`, problems)

  const db = target.db
  const before = await counts(db)
  const targetEmpty = Object.values(before).every((n) => n === 0)
  if (!targetEmpty && !options.merge) {
    throw new ImportError(
      `the target database is not empty (users ${before.users}, periodes ${before.periodes}, payments ${before.payments}, transactions ${before.transactions}); pass --merge to add the old rows whose ids are not present yet`,
    )
  }

  const totalRows = userValues.length + periodeValues.length + paymentValues.length + txValues.length
  let doneRows = 0
  const onSlice = (n: number) => {
    doneRows += n
    options.onProgress?.(doneRows, totalRows)
  }
  const inserted = await db.transaction(async (tx) => {
    if (options.merge) {
      // A new old-row must not collide with an existing different row on a unique identity.
      const clashes = await findIdentityClashes(
        tx,
        userValues.map((u) => ({ id: u.id, email: u.email, username: u.username, phone: u.phoneNumber })),
      )
      if (clashes.length) {
        throw new ImportError(
          'nothing imported: old users clash with existing users',
          clashes.map((c) => `users.id=${c.id}: same ${c.what} as existing users.id=${c.other}`),
        )
      }
    }
    const u = await insertSlices(userValues, (s) => insertUsers(tx, s, { keepExisting: true }), onSlice)
    const pe = await insertSlices(periodeValues, (s) => insertPeriodes(tx, s, { keepExisting: true }), onSlice)
    const pa = await insertSlices(paymentValues, (s) => insertPayments(tx, s, { keepExisting: true }), onSlice)
    const tr = await insertSlices(txValues, (s) => insertTransactions(tx, s, { keepExisting: true }), onSlice)
    // One history entry per imported transaction, so its current status has a recorded origin.
    const newTx = new Set(tr)
    const history = txValues
      .filter((t) => newTx.has(t.id))
      .map((t) => ({
        transactionId: t.id,
        fromStatus: null,
        toStatus: t.status,
        changedBy: t.confirmedBy ?? t.reportedBy,
        note: 'imported from the FastAPI backend',
        ...(t.confirmedAt ? { createdAt: t.confirmedAt } : {}),
      }))
    for (let i = 0; i < history.length; i += 500) await insertStatusHistory(tx, history.slice(i, i + 500))
    await advanceIdSequences(tx)
    const result = { users: u.length, periodes: pe.length, payments: pa.length, transactions: tr.length }
    // Counts must add up before anything is committed: every old row is now new here or was here.
    const now = await counts(tx)
    for (const table of ['users', 'periodes', 'payments', 'transactions'] as const) {
      if (now[table] !== before[table] + result[table]) {
        throw new ImportError(`count mismatch on ${table}: ${before[table]} + ${result[table]} inserted != ${now[table]}`)
      }
    }
    return result
  })

  const after = await counts(db)
  const sourceCounts = {
    users: userValues.length,
    periodes: periodeValues.length,
    payments: paymentValues.length,
    transactions: txValues.length,
  }
  const report = {} as Record<Table, TableCounts>
  for (const table of ['users', 'periodes', 'payments', 'transactions'] as const) {
    report[table] = {
      source: sourceCounts[table],
      inserted: inserted[table],
      alreadyPresent: sourceCounts[table] - inserted[table],
      targetAfter: after[table],
    }
  }
  return { counts: report, warnings }
}

/** The report as the CLI prints it. */
export function formatReport(report: ImportReport): string {
  const lines = ['table          source  inserted  already-present  now-in-target']
  for (const [table, c] of Object.entries(report.counts)) {
    lines.push(
      `${table.padEnd(14)} ${String(c.source).padStart(6)}  ${String(c.inserted).padStart(8)}  ${String(c.alreadyPresent).padStart(15)}  ${String(c.targetAfter).padStart(13)}`,
    )
  }
  for (const w of report.warnings) lines.push(`warning: ${w}`)
  return lines.join('\n')
}
