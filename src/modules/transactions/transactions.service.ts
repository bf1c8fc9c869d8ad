/**
 * Savings deposits: submission (single and batch, with receipt upload and Idempotency-Key),
 * listing, reading, the status machine and soft deletion. Every rule lives here; routes only
 * translate HTTP to these calls.
 */

import { createHash } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { recordAudit } from '../../db/audit.js'
import type { Db, Executor, Tx } from '../../db/client.js'
import type { Liveness } from '../../db/liveness.js'
import type { AuthContext } from '../../lib/auth-context.js'
import { AppError, conflict, type FieldError, forbidden, notFound, validation } from '../../lib/errors.js'
import { parseAmount, toMoney } from '../../lib/money.js'
import { ok } from '../../lib/schemas.js'
import type { Storage } from '../../plugins/storage.js'
import type { UploadedFile } from '../../plugins/uploads.js'
import { assertUploadQuota, discardFile, recordFile, type StoredFile, storeUpload } from '../files/files.service.js'
import type { UrlSigner } from '../files/signing.js'
import { publish } from '../jobs/events.js'
import { issueReceiptNumber } from '../receipts/receipt-number.js'
import { localDate, parseInstant } from './instants.js'
import { createRowCache, rowBytes } from './row-cache.js'
import { type FilterInput, parseFilter } from './transactions.filter.js'
import * as q from './transactions.queries.js'
import { MAX_ALLOCATIONS, type TransactionJson, type TransactionStatus, transactionMapper, type Viewer } from './transactions.schemas.js'

/**
 * Legal status changes by an admin; `completed` and `rejected` are final. `needs_correction` leaves
 * only through the owner's or reporter's correction (PUT /transactions/{id}), back to `sent`.
 */
export const TRANSITIONS: Record<TransactionStatus, readonly TransactionStatus[]> = {
  sent: ['on_process', 'completed', 'rejected', 'needs_correction'],
  on_process: ['completed', 'rejected', 'needs_correction'],
  needs_correction: [],
  completed: [],
  rejected: [],
}
const FINAL: ReadonlySet<TransactionStatus> = new Set(['completed', 'rejected'])
/** Changes that must carry the reason the member will read. */
const NOTE_REQUIRED: ReadonlySet<TransactionStatus> = new Set(['rejected', 'needs_correction'])
/** Verification decisions, which four eyes applies to (moving to on_process decides nothing). */
const DECISIONS: ReadonlySet<TransactionStatus> = new Set(['completed', 'rejected', 'needs_correction'])

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600
/** A deposit dated further ahead than this is a typo or a wrong clock, not a deposit. */
const FUTURE_TOLERANCE_MS = 24 * 3600 * 1000
const AMOUNT_MESSAGE = 'must be a number > 0 with at most 2 decimals and at most 1,000,000,000,000'

export interface CreateInput {
  /** Owner; omitted = the caller. */
  userId?: number | undefined
  /** Name of the owner field as the client sent it (`userId` in forms, `user_id` in JSON). */
  userField: string
  amount: number | string
  transactionDate: string
  periodeId?: number | null | undefined
  paymentId?: number | null | undefined
}

export interface BatchInput {
  /** Parsed JSON array (JSON body) or the raw JSON text (multipart). */
  allocations: unknown
  transactionDate: string
  periodeId?: number | null | undefined
  paymentId?: number | null | undefined
}

export interface CorrectInput {
  amount?: number | string | undefined
  transactionDate?: string | undefined
  periodeId?: number | null | undefined
  paymentId?: number | null | undefined
}

export interface StatusInput {
  status: TransactionStatus
  note?: string | undefined
}

export interface BulkItem {
  id: number
  ok: boolean
  code: number
  message: string
  transaction?: TransactionJson
}

export interface ListInput extends FilterInput {
  page?: number | undefined
  per_page?: number | undefined
}

/**
 * The unpaginated list reads this many rows with its totals first: a whole periode of the
 * community fits, so the common answer is one query and can be cached; longer lists continue in
 * chunks of NEXT_CHUNK_ROWS. These two numbers bound the rows a list request holds in memory.
 * 250 rather than 1000: the whole ledger's RSS growth fell below issue 13's 50 MB, and its CPU did
 * not rise (docs/decisions.md, "Figures behind code choices").
 */
const FIRST_CHUNK_ROWS = 2000
const NEXT_CHUNK_ROWS = 250

function listMeta(totals: q.ListTotals, page: number, perPage: number) {
  return {
    page,
    per_page: perPage,
    total: totals.total,
    total_amount: Number(totals.totalAmount),
    completed_amount: Number(totals.completedAmount),
    pending_amount: Number(totals.pendingAmount),
  }
}

export interface Submission<T> {
  status: number
  body: { code: number; message: string; data: T }
  /** True when this is the stored result of an earlier request with the same Idempotency-Key. */
  replayed: boolean
}

type Remember = (tx: Tx, status: number, body: unknown) => Promise<void>

export interface TransactionsDeps {
  db: Db
  storage: Storage
  signer: UrlSigner
  timezone: string
  log: FastifyBaseLogger
  /** Who owns in-flight Idempotency-Key claims, to take over those of a crashed process. */
  liveness: Liveness
  /** Four eyes: may an admin decide on a deposit they reported or own (SPEC §7)? Default single-admin. */
  verifyOwnDeposits?: 'never' | 'single-admin' | 'always'
  /** Wake the background worker after a commit that published events (the outbox, SPEC §7). */
  kick?: () => void
  /** Memory for listed rows' JSON (row-cache.ts); 0 or absent: every page fetches its rows' JSON. */
  rowCacheBytes?: number
}

/** The trimmed note; 422 when the target status needs a reason and none was given. */
function checkNote(input: StatusInput): string | null {
  const note = input.note?.trim() || null
  if (NOTE_REQUIRED.has(input.status) && !note) {
    throw validation(
      `is required when ${input.status === 'rejected' ? 'rejecting' : 'asking for a correction'}: tell the member why`,
      'note',
    )
  }
  return note
}

/** The history note of a correction, readable without the `changes` object. */
function correctionNote(changes: Record<string, { from: unknown; to: unknown }>): string {
  const parts = Object.entries(changes).map(([field, c]) =>
    field === 'file' ? 'receipt replaced' : `${field.replace('_id', '').replace('_', ' ')} ${c.from ?? 'none'} -> ${c.to ?? 'none'}`,
  )
  return parts.length ? `Corrected: ${parts.join(', ')}` : 'Resubmitted without changes'
}

const viewerOf = (auth: AuthContext): Viewer => ({ userId: auth.userId, role: auth.role })
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

export function createTransactionsService(deps: TransactionsDeps) {
  const { db, storage, signer, timezone, log, liveness, verifyOwnDeposits = 'single-admin', kick = () => {} } = deps
  const rowCache = createRowCache(deps.rowCacheBytes ?? 0)

  /** The list's filters (members: only what they own or reported). */
  const listFilterOf = (auth: AuthContext, query: ListInput) => parseFilter(auth, query, timezone)

  /**
   * A page of the list (its rows' JSON, signed URLs in) and the totals of the whole filtered set,
   * in one statement. With the row cache, the statement returns each row's id and version and
   * only the rows the cache lacks are fetched, in a second one (row-cache.ts).
   */
  async function pageOf(auth: AuthContext, filter: q.TransactionFilter, limit: number, offset: number) {
    const viewer = viewerOf(auth)
    if (!rowCache.enabled) {
      const { page, totals } = await q.listPageWithTotals(db, filter, viewer, limit, offset)
      return { page, rows: page.texts.map((t) => Buffer.from(mapper.fillKeys(t))), totals }
    }
    const { page, totals } = await q.listPageWithTotals(db, filter, viewer, limit, offset, 'keys')
    // Everything a row's text depends on besides its version: the viewer and the URLs' expiry.
    const prefix = `${auth.role === 'admin' ? 'a' : auth.userId}@${signer.expiry()} `
    const rows: (Buffer | undefined)[] = []
    const missing = new Map<number, number>()
    for (const group of page.texts) {
      for (const token of group.split(' ')) {
        const row = rowCache.get(prefix + token)
        if (row === undefined) missing.set(Number(token.slice(0, token.indexOf(':'))), rows.length)
        rows.push(row)
      }
    }
    if (!missing.size) return { page, rows: rows as Buffer[], totals }
    rowCache.countMiss(missing.size)
    for (const r of await q.findRowTexts(db, [...missing.keys()], viewer)) {
      const row = rowBytes(mapper.fillKeys(r.row_text))
      rowCache.set(`${prefix}${r.id}:${r.v}`, row)
      rows[missing.get(r.id) as number] = row
    }
    // A row deleted between the two statements is left out, as a list read a moment later would.
    return { page, rows: rows.filter((r) => r !== undefined), totals }
  }

  function instantOf(text: string, field: string): Date {
    const parsed = parseInstant(text, timezone)
    if (!parsed) {
      throw validation('must be ISO 8601 (with or without offset) or YYYY-MM-DD HH:mm[:ss]', field)
    }
    return parsed.date
  }

  function transactionDateOf(text: string): Date {
    const date = instantOf(text, 'transaction_date')
    if (date.getTime() > Date.now() + FUTURE_TOLERANCE_MS) throw validation('must not be in the future', 'transaction_date')
    return date
  }

  /**
   * What a submission names, checked in one round trip (q.findSubmissionRefs). Owners must be
   * active users: a member may report for themself or for another active member, an admin for any
   * active user; unknown and inactive owners get the same 422, so the answer reveals nothing a
   * member's directory (GET /users) does not already show. A given periode and payment method must
   * exist (and the payment be active, for members); with no periode given, the deposit goes to the
   * one whose dates contain its local date, if any.
   */
  async function checkSubmission(
    auth: AuthContext,
    owners: { id: number; field: string }[],
    input: { periodeId?: number | null | undefined; paymentId?: number | null | undefined },
    date: Date,
  ): Promise<{ periodeId: number | null; paymentId: number | null }> {
    const givenPeriode = input.periodeId ?? null
    const givenPayment = input.paymentId ?? null
    const refs = await q.findSubmissionRefs(
      db,
      [...new Set(owners.map((o) => o.id))],
      givenPeriode,
      givenPeriode === null ? localDate(date, timezone) : null,
      givenPayment,
    )
    const errors: FieldError[] = []
    const found = new Map(refs.owners.map((u) => [u.id, u]))
    for (const o of owners) {
      const u = found.get(o.id)
      const usable = u?.isActive && !u.anonymisedAt && (auth.role === 'admin' || o.id === auth.userId || u.userType === 'member')
      if (!usable) errors.push({ field: o.field, message: 'must be an active member' })
    }
    if (givenPeriode !== null && refs.periodeId === null) errors.push({ field: 'periode_id', message: 'does not name an existing periode' })
    if (givenPayment !== null) {
      if (refs.paymentActive === null) errors.push({ field: 'payment_id', message: 'does not name an existing payment method' })
      else if (!refs.paymentActive && auth.role !== 'admin')
        errors.push({ field: 'payment_id', message: 'names a payment method that is no longer active; choose another' })
    }
    if (errors.length) throw validation(errors)
    return { periodeId: refs.periodeId, paymentId: givenPayment }
  }

  /**
   * Idempotency-Key (SECURITY R32): claim (user, key) before any work; replay a finished result;
   * 422 for the same key with another request, 409 while the first is still running. The result
   * is stored by `remember` inside the work's own transaction, so it commits with the rows; a claim
   * without a result therefore means nothing was written, and when the process that made it is gone
   * (crash, kill -9: db/liveness.ts) a retry of the same request takes it over at once.
   */
  async function idempotent<T>(
    auth: AuthContext,
    key: string | undefined,
    requestHash: string,
    work: (remember: Remember) => Promise<{ status: number; body: Submission<T>['body'] }>,
  ): Promise<Submission<T>> {
    if (key === undefined) return { ...(await work(async () => {})), replayed: false }
    const me = liveness.owner
    if (!(await q.claimIdempotencyKey(db, auth.userId, key, requestHash, IDEMPOTENCY_TTL_SECONDS, me))) {
      const existing = await q.findIdempotencyKey(db, auth.userId, key)
      if (!existing) throw conflict('A request with this Idempotency-Key just finished failing; retry it')
      if (existing.statusCode === null) {
        const orphaned = existing.owner !== null && !(await liveness.alive(db, existing.owner))
        if (!orphaned) throw conflict('A request with this Idempotency-Key is still being processed; retry in a few seconds')
        if (existing.requestHash !== requestHash) throw validation('was already used for a different request', 'Idempotency-Key')
        if (!(await q.takeOverIdempotencyKey(db, auth.userId, key, existing.owner as string, me))) {
          throw conflict('A request with this Idempotency-Key is still being processed; retry in a few seconds')
        }
        log.info({ event: 'idempotency.takeover', userId: auth.userId }, 'took over an Idempotency-Key whose request died with its process')
      } else {
        if (existing.requestHash !== requestHash) throw validation('was already used for a different request', 'Idempotency-Key')
        const body = signer.refreshUrls(existing.responseBody as Submission<T>['body'])
        return { status: existing.statusCode, body, replayed: true }
      }
    }
    log.debug({ event: 'idempotency.claimed', userId: auth.userId }, 'Idempotency-Key claimed')
    try {
      return {
        ...(await work((tx, status, body) => q.storeIdempotentResponse(tx, auth.userId, key, status, body))),
        replayed: false,
      }
    } catch (err) {
      await q.releaseIdempotencyKey(db, auth.userId, key).catch((e) => log.error({ err: e }, 'could not release idempotency key'))
      throw err
    }
  }

  /** Store the receipt, then run `write` in one transaction; the stored file is removed if it fails. */
  async function withReceipt<R>(
    uploader: number,
    upload: UploadedFile | undefined,
    write: (tx: Tx, file: StoredFile | undefined) => Promise<R>,
  ) {
    // The per-uploader daily quota is checked before any image work is spent (SECURITY R39).
    if (upload) await assertUploadQuota(db, uploader, upload.size)
    const stored = upload ? await storeUpload(storage, upload, 'receipt') : undefined
    try {
      return await db.transaction(async (tx) => {
        if (stored) await recordFile(tx, stored, 'receipt', uploader)
        return write(tx, stored)
      })
    } catch (err) {
      await discardFile(storage, stored).catch((e) => log.error({ err: e }, 'could not discard stored receipt'))
      throw err
    }
  }

  /** The one mapper of transaction JSON (transactions.schemas.ts); the viewer's rules are in the row selection. */
  const mapper = transactionMapper(signer)
  const toJson = mapper.json

  /** The transaction JSON with its history (GET /transactions/{id}), read through `exec`. */
  async function detail(exec: Executor, auth: AuthContext, id: number) {
    const viewer = viewerOf(auth)
    const row = await q.findTransactionRow(exec, id, viewer)
    if (!row) throw notFound('Transaction')
    const history = await q.findHistory(exec, id, viewer)
    return { ...mapper.json(row), history: history.map(mapper.history) }
  }

  /**
   * Four eyes (SPEC §7): an admin does not decide on a deposit they reported or own, unless
   * VERIFY_OWN_DEPOSITS allows it: `always`, or `single-admin` while no other admin is active.
   */
  async function assertFourEyes(tx: Tx, auth: AuthContext, current: { userId: number; reportedBy: number }, to: TransactionStatus) {
    if (!DECISIONS.has(to) || verifyOwnDeposits === 'always') return
    const own = current.userId === auth.userId ? 'own' : current.reportedBy === auth.userId ? 'reported' : undefined
    if (!own) return
    if (verifyOwnDeposits === 'single-admin' && (await q.countOtherActiveAdmins(tx, auth.userId)) === 0) return
    throw forbidden(`You ${own === 'own' ? 'own' : 'reported'} this deposit, so another admin must verify it (four-eyes rule)`)
  }

  /**
   * The status change itself. The row is locked (SELECT ... FOR UPDATE) and updated conditionally
   * on the status it was read in, with the history row in the same transaction: of two admins
   * acting at once, the second sees the first's result and gets 409 (R30, R31).
   */
  async function applyStatus(auth: AuthContext, id: number, input: StatusInput) {
    const note = checkNote(input)
    await db.transaction(async (tx) => {
      const current = await q.lockTransaction(tx, id)
      if (!current) throw notFound('Transaction')
      if (!TRANSITIONS[current.status].includes(input.status)) {
        throw conflict(`Cannot change a transaction from ${current.status} to ${input.status}`)
      }
      await assertFourEyes(tx, auth, current, input.status)
      const updated = await q.updateStatus(tx, id, current.status, input.status, FINAL.has(input.status) ? auth.userId : undefined, note)
      if (!updated) throw conflict('The transaction was changed by someone else; reload it')
      await q.insertHistory(tx, [{ transactionId: id, fromStatus: current.status, toStatus: input.status, changedBy: auth.userId, note }])
      // The kuitansi number commits (or rolls back) with the completion itself: gapless per year.
      if (input.status === 'completed') await issueReceiptNumber(tx, id, timezone)
      // Notifications, mail and webhooks follow from this one outbox row, committed with the change.
      await publishStatusChange(tx, auth, current, input.status, note)
    })
    kick()
    log.info({ event: 'transaction.status', id, to: input.status, by: auth.userId }, 'transaction status changed')
  }

  function publishStatusChange(
    tx: Tx,
    auth: AuthContext,
    current: { id: number; userId: number; reportedBy: number; amount: string; status: TransactionStatus },
    to: TransactionStatus,
    note: string | null,
    changes?: Record<string, unknown>,
  ) {
    return publish(tx, 'deposit.status_changed', {
      transaction_id: current.id,
      user_id: current.userId,
      reported_by: current.reportedBy,
      amount: toMoney(current.amount),
      from: current.status,
      to,
      note,
      changed_by: auth.userId,
      ...(changes ? { changes } : {}),
    })
  }

  return {
    async create(
      auth: AuthContext,
      input: CreateInput,
      upload: UploadedFile | undefined,
      key?: string,
    ): Promise<Submission<TransactionJson>> {
      const errors: FieldError[] = []
      const ownerId = input.userId ?? auth.userId
      const amount = parseAmount(input.amount)
      if (!amount) errors.push({ field: 'amount', message: AMOUNT_MESSAGE })
      const date = transactionDateOf(input.transactionDate)
      if (!upload && auth.role !== 'admin') errors.push({ field: 'file', message: 'is required: attach the photo of the transfer receipt' })
      if (errors.length) throw validation(errors)

      const requestHash = sha256(
        JSON.stringify([
          'create',
          ownerId,
          amount,
          date.toISOString(),
          input.periodeId ?? null,
          input.paymentId ?? null,
          upload?.sha256 ?? null,
        ]),
      )
      return idempotent<TransactionJson>(auth, key, requestHash, async (remember) => {
        const refs = await checkSubmission(auth, [{ id: ownerId, field: input.userField }], input, date)
        return withReceipt(auth.userId, upload, async (tx, file) => {
          let duplicateOfId: number | null = null
          if (file) {
            await q.lockOwners(tx, [ownerId])
            duplicateOfId = (await q.findDuplicateReceipt(tx, ownerId, file.sha256)) ?? null
          }
          // The deposit, its history entry and its outbox event: one statement.
          const [row] = await q.insertDeposits(tx, {
            transactionDate: date,
            reportedBy: auth.userId,
            periodeId: refs.periodeId,
            paymentId: refs.paymentId,
            fileKey: file?.key ?? null,
            fileSha256: file?.sha256 ?? null,
            items: [{ userId: ownerId, amount: amount as string, duplicateOfId }],
          })
          if (!row) throw new Error('transaction insert returned no row')
          const created = await q.findTransactionRow(tx, row.id, viewerOf(auth))
          if (!created) throw new Error('inserted transaction not found')
          const body = ok(
            toJson(created),
            duplicateOfId ? 'Transaction created; this receipt was already submitted' : 'Transaction created',
            201,
          )
          await remember(tx, 201, body)
          log.info({ event: 'transaction.create', id: row.id, owner: ownerId, by: auth.userId, duplicateOfId }, 'transaction created')
          return { status: 201, body }
        }).finally(kick)
      })
    },

    async createBatch(
      auth: AuthContext,
      input: BatchInput,
      upload: UploadedFile | undefined,
      key?: string,
    ): Promise<Submission<TransactionJson[]>> {
      const errors: FieldError[] = []
      let list: unknown = input.allocations
      if (typeof list === 'string') {
        try {
          list = JSON.parse(list)
        } catch {
          throw validation('must be a JSON array of {user_id, amount}', 'allocations')
        }
      }
      if (!Array.isArray(list) || list.length === 0 || list.length > MAX_ALLOCATIONS) {
        throw validation(`must be a JSON array of 1 to ${MAX_ALLOCATIONS} {user_id, amount}`, 'allocations')
      }
      const allocations: { userId: number; amount: string }[] = []
      const seen = new Set<number>()
      list.forEach((item: unknown, i) => {
        const a = (item && typeof item === 'object' ? item : {}) as Record<string, unknown>
        const rawId = typeof a.user_id === 'string' && /^\d{1,10}$/.test(a.user_id) ? Number(a.user_id) : a.user_id
        const userId = typeof rawId === 'number' && Number.isInteger(rawId) && rawId >= 1 && rawId <= 2_147_483_647 ? rawId : undefined
        if (userId === undefined) errors.push({ field: `allocations[${i}].user_id`, message: 'must be a user id' })
        else if (seen.has(userId)) errors.push({ field: `allocations[${i}].user_id`, message: 'appears twice in this batch' })
        else seen.add(userId)
        const amount = typeof a.amount === 'number' || typeof a.amount === 'string' ? parseAmount(a.amount) : undefined
        if (!amount) errors.push({ field: `allocations[${i}].amount`, message: AMOUNT_MESSAGE })
        if (userId !== undefined && amount) allocations.push({ userId, amount })
      })
      const date = transactionDateOf(input.transactionDate)
      if (!upload && auth.role !== 'admin') errors.push({ field: 'file', message: 'is required: attach the photo of the transfer receipt' })
      if (errors.length) throw validation(errors)

      const requestHash = sha256(
        JSON.stringify([
          'batch',
          allocations.map((a) => [a.userId, a.amount]),
          date.toISOString(),
          input.periodeId ?? null,
          input.paymentId ?? null,
          upload?.sha256 ?? null,
        ]),
      )
      return idempotent<TransactionJson[]>(auth, key, requestHash, async (remember) => {
        const refs = await checkSubmission(
          auth,
          allocations.map((a, i) => ({ id: a.userId, field: `allocations[${i}].user_id` })),
          input,
          date,
        )
        return withReceipt(auth.userId, upload, async (tx, file) => {
          const duplicates = new Map<number, number>()
          if (file) {
            await q.lockOwners(
              tx,
              allocations.map((a) => a.userId),
            )
            for (const a of allocations) {
              const dup = await q.findDuplicateReceipt(tx, a.userId, file.sha256)
              if (dup) duplicates.set(a.userId, dup)
            }
          }
          // The deposits, their history entries and outbox events: one statement.
          const rows = await q.insertDeposits(tx, {
            transactionDate: date,
            reportedBy: auth.userId,
            periodeId: refs.periodeId,
            paymentId: refs.paymentId,
            fileKey: file?.key ?? null,
            fileSha256: file?.sha256 ?? null,
            items: allocations.map((a) => ({ userId: a.userId, amount: a.amount, duplicateOfId: duplicates.get(a.userId) ?? null })),
          })
          const created = await q.findTransactionRows(
            tx,
            rows.map((r) => r.id),
            viewerOf(auth),
          )
          const body = ok(created.map(toJson), `${created.length} transactions created`, 201)
          await remember(tx, 201, body)
          log.info({ event: 'transaction.batch', ids: rows.map((r) => r.id), by: auth.userId }, 'batch created')
          return { status: 201, body }
        }).finally(kick)
      })
    },

    /** One page (with `page`/`per_page`) and the count and exact sums of the whole filtered set. */
    async list(auth: AuthContext, query: ListInput & { page: number; per_page: number }) {
      const filter = listFilterOf(auth, query)
      const offset = (query.page - 1) * query.per_page
      const { rows, totals } = await pageOf(auth, filter, query.per_page, offset)
      return { data: rows, meta: listMeta(totals, query.page, query.per_page) }
    },

    /**
     * Every matching row (the app never paginates and deletes locally whatever a list leaves out).
     * The first chunk comes with the totals; when it holds everything the answer is `complete`
     * (and may be cached), otherwise `rest` reads the remaining rows chunk by chunk (keyset on
     * the list order), so memory stays that of one chunk whatever the ledger's length.
     */
    async listAll(auth: AuthContext, query: ListInput) {
      const filter = listFilterOf(auth, query)
      const viewer = viewerOf(auth)
      const { page, rows, totals } = await pageOf(auth, filter, FIRST_CHUNK_ROWS, 0)
      const meta = listMeta(totals, 1, totals.total)
      const first = rows
      const complete = page.count < FIRST_CHUNK_ROWS
      async function* rest(): AsyncGenerator<string[]> {
        let last = page.lastId
        while (last !== null) {
          const { texts, count, lastId } = await q.listChunk(db, { ...filter, afterId: last }, viewer, NEXT_CHUNK_ROWS)
          last = count === NEXT_CHUNK_ROWS ? lastId : null
          // Nothing of the chunk is used after the yield: its rows can go while they are written.
          if (count) yield texts.map(mapper.fillKeys)
        }
      }
      return { meta, first, rest: complete ? undefined : rest() }
    },

    /** Rows answered from the row cache and rows fetched (metrics, tests). */
    rowCacheStats() {
      return { hits: rowCache.hits, misses: rowCache.misses, bytes: rowCache.bytes, size: rowCache.size }
    },

    /** The marker a cached list of this caller is valid under (list-cache.ts). */
    listMarker(auth: AuthContext) {
      return q.listMarker(db, auth.role === 'admin' ? undefined : auth.userId)
    },

    /** Owner, reporter or admin; anyone else gets the same 404 as for a missing id (R27). */
    async get(auth: AuthContext, id: number) {
      const row = await q.findTransactionRow(db, id, viewerOf(auth))
      if (!row || (auth.role !== 'admin' && row.user_id !== auth.userId && row.reported_by !== auth.userId)) {
        throw notFound('Transaction')
      }
      return detail(db, auth, id)
    },

    /** Admin status change; the transaction with its history. */
    async changeStatus(auth: AuthContext, id: number, input: StatusInput) {
      await applyStatus(auth, id, input)
      return this.get(auth, id)
    },

    /**
     * POST /transactions/status: each id on its own, in its own database transaction and under the
     * same rules as a single change, so one failing item never undoes the others.
     */
    async bulkStatus(auth: AuthContext, input: { ids: number[]; status: TransactionStatus; note?: string | undefined }) {
      const note = checkNote(input)
      const results: BulkItem[] = []
      for (const id of [...new Set(input.ids)]) {
        try {
          await applyStatus(auth, id, { status: input.status, note: note ?? undefined })
          const row = await q.findTransactionRow(db, id, viewerOf(auth))
          results.push({
            id,
            ok: true,
            code: 200,
            message: 'Status updated',
            ...(row ? { transaction: toJson(row) } : {}),
          })
        } catch (err) {
          // Refusals are per item; anything else (database down) ends the request, keeping what was done.
          if (!(err instanceof AppError)) throw err
          results.push({ id, ok: false, code: err.statusCode, message: err.message })
        }
      }
      return results
    },

    /**
     * The owner's or reporter's correction of a deposit an admin marked `needs_correction`: any of
     * amount, date, periode, payment method and receipt; the deposit goes back to `sent` and the
     * history entry records each changed field. Retry-safe with an Idempotency-Key like a submission.
     */
    async correct(
      auth: AuthContext,
      id: number,
      input: CorrectInput,
      upload: UploadedFile | undefined,
      key?: string,
    ): Promise<Submission<TransactionJson & { history: unknown[] }>> {
      const found = await q.findTransactionRow(db, id, viewerOf(auth))
      const mine = found && (found.user_id === auth.userId || found.reported_by === auth.userId)
      if (!found || (!mine && auth.role !== 'admin')) throw notFound('Transaction')
      if (!mine) throw forbidden('Only the member who owns or reported this deposit can correct it')

      const errors: FieldError[] = []
      let amount: string | undefined
      if (input.amount !== undefined) {
        amount = parseAmount(input.amount) ?? undefined
        if (!amount) errors.push({ field: 'amount', message: AMOUNT_MESSAGE })
      }
      const date = input.transactionDate === undefined ? undefined : transactionDateOf(input.transactionDate)
      if (input.periodeId != null && !(await q.findPeriode(db, input.periodeId))) {
        errors.push({ field: 'periode_id', message: 'periode not found' })
      }
      if (input.paymentId != null) {
        const p = await q.findPayment(db, input.paymentId)
        if (!p) errors.push({ field: 'payment_id', message: 'payment method not found' })
        else if (!p.isActive && auth.role !== 'admin') errors.push({ field: 'payment_id', message: 'payment method is not active' })
      }
      if (errors.length) throw validation(errors)
      // The status is checked under the row lock below, after a replay by Idempotency-Key had its chance.

      const requestHash = sha256(
        JSON.stringify([
          'correct',
          id,
          amount ?? null,
          date?.toISOString() ?? null,
          input.periodeId,
          input.paymentId,
          upload?.sha256 ?? null,
        ]),
      )
      return idempotent(auth, key, requestHash, async (remember) =>
        withReceipt(auth.userId, upload, async (tx, file) => {
          const current = await q.lockTransaction(tx, id)
          if (!current) throw notFound('Transaction')
          if (current.status !== 'needs_correction') {
            throw conflict(`Only a deposit that needs correction can be corrected; this one is ${current.status}`)
          }
          const changes: Record<string, { from: unknown; to: unknown }> = {}
          const values: Parameters<typeof q.applyCorrection>[2] = {}
          if (amount !== undefined && Number(amount) !== Number(current.amount)) {
            changes.amount = { from: toMoney(current.amount), to: toMoney(amount) }
            values.amount = amount
          }
          if (date && date.getTime() !== current.transactionDate.getTime()) {
            changes.transaction_date = { from: current.transactionDate.toISOString(), to: date.toISOString() }
            values.transactionDate = date
          }
          if (input.periodeId !== undefined && input.periodeId !== current.periodeId) {
            changes.periode_id = { from: current.periodeId, to: input.periodeId }
            values.periodeId = input.periodeId
          }
          if (input.paymentId !== undefined && input.paymentId !== current.paymentId) {
            changes.payment_id = { from: current.paymentId, to: input.paymentId }
            values.paymentId = input.paymentId
          }
          let duplicateOfId: number | null = null
          if (file) {
            await q.lockOwners(tx, [current.userId])
            duplicateOfId = (await q.findOtherDuplicateReceipt(tx, current.userId, file.sha256, id)) ?? null
            changes.file = { from: current.fileSha256, to: file.sha256 }
            Object.assign(values, { fileKey: file.key, fileSha256: file.sha256, duplicateOfId })
          }
          if (!(await q.applyCorrection(tx, id, values))) throw conflict('The transaction was changed by someone else; reload it')
          await publishStatusChange(tx, auth, { ...current, amount: values.amount ?? current.amount }, 'sent', null, changes)
          await q.insertHistory(tx, [
            {
              transactionId: id,
              fromStatus: 'needs_correction',
              toStatus: 'sent',
              changedBy: auth.userId,
              note: correctionNote(changes),
              changes,
            },
          ])
          const body = ok(
            await detail(tx, auth, id),
            duplicateOfId ? 'Transaction corrected; this receipt was already submitted' : 'Transaction corrected',
          )
          await remember(tx, 200, body)
          log.info({ event: 'transaction.correct', id, by: auth.userId, fields: Object.keys(changes) }, 'transaction corrected')
          return { status: 200, body }
        }).finally(kick),
      )
    },

    /** Admin soft delete with an audit record; completed deposits are money already counted (409). */
    async remove(auth: AuthContext, id: number) {
      await db.transaction(async (tx) => {
        const current = await q.lockTransaction(tx, id)
        if (!current) throw notFound('Transaction')
        if (current.status === 'completed') throw conflict('A completed transaction cannot be deleted')
        if (!(await q.softDelete(tx, id, auth.userId))) throw notFound('Transaction')
        await recordAudit(tx, {
          actorId: auth.userId,
          action: 'transaction.delete',
          entity: 'transaction',
          entityId: id,
          details: { status: current.status, amount: current.amount, user_id: current.userId },
        })
      })
      log.info({ event: 'transaction.delete', id, by: auth.userId }, 'transaction deleted')
    },
  }
}

export type TransactionsService = ReturnType<typeof createTransactionsService>
