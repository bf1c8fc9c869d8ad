/** SQL for transactions, their status history and idempotency keys. Every function takes an Executor. */
import { type AnyColumn, and, asc, eq, gte, inArray, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import { type Executor, rows } from '../../db/client.js'
import { LOCK_CLASSES } from '../../db/locks.js'
import { prepared, runNamed } from '../../db/prepared.js'
import {
  dataVersions,
  idempotencyKeys,
  ledgerMarks,
  ledgerTotals,
  payments,
  periodes,
  transactionStatus,
  transactionStatusHistory,
  transactions,
  users,
} from '../../db/schema.js'
import { publishEachSql } from '../jobs/jobs.queries.js'

const owner = alias(users, 'owner')
const reporter = alias(users, 'reporter')
const confirmer = alias(users, 'confirmer')
const changer = alias(users, 'changer')

/** The transaction columns a view needs, from the table or from the page subquery. */
type TxCol =
  | 'id'
  | 'amount'
  | 'transactionDate'
  | 'status'
  | 'userId'
  | 'reportedBy'
  | 'confirmedBy'
  | 'confirmedAt'
  | 'paymentId'
  | 'periodeId'
  | 'fileKey'
  | 'duplicateOfId'
  | 'statusNote'
  | 'legacyProofUrl'
  | 'receiptNumber'
  | 'reportedDate'
  | 'createdAt'
  | 'updatedAt'
const txColumns = <S extends Record<TxCol, unknown>>(t: S): Pick<S, TxCol> => ({
  id: t.id,
  amount: t.amount,
  transactionDate: t.transactionDate,
  status: t.status,
  userId: t.userId,
  reportedBy: t.reportedBy,
  confirmedBy: t.confirmedBy,
  confirmedAt: t.confirmedAt,
  paymentId: t.paymentId,
  periodeId: t.periodeId,
  fileKey: t.fileKey,
  duplicateOfId: t.duplicateOfId,
  statusNote: t.statusNote,
  legacyProofUrl: t.legacyProofUrl,
  receiptNumber: t.receiptNumber,
  reportedDate: t.reportedDate,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
})

/** A query value: the literal (one-off queries, EXPLAIN in tests) or a named placeholder (prepared). */
type Bind = (name: string, value: unknown) => unknown
const literal: Bind = (_name, value) => value
const placeholder: Bind = (name) => sql.placeholder(name)
/** The view EXPLAIN tests use when they do not care whose (it changes no plan). */
const ADMIN_VIEW: Viewer = { userId: 0, role: 'admin' }

/**
 * One page of live transactions, newest first, from `transactions` alone: the (date desc, id desc)
 * indexes give the order and LIMIT stops the scan early. Joining only this page afterwards keeps
 * the planner from hash-joining and sorting the whole table for every page (seen in EXPLAIN).
 */
function pageSubquery(db: Executor, f: TransactionFilter, bind: Bind, limit: number, offset: number) {
  return db
    .select({ ...txColumns(transactions), tXmin: sql<string>`${transactions}.xmin::text`.as('t_xmin') })
    .from(transactions)
    .where(listWhere(f, bind))
    .orderBy(sql`${transactions.transactionDate} DESC NULLS LAST`, sql`${transactions.id} DESC NULLS LAST`)
    .limit(bind('limit', limit) as number)
    .offset(bind('offset', offset) as number)
    .as('page')
}

/**
 * A transaction by id (live rows only), in the one row selection. Used by get, create, batch,
 * the status changes and corrections: the same columns and names as a list row. Both statements
 * are built once (ids and viewer as placeholders) and run named, inside transactions too: a
 * deposit re-reads its row on every create, and parsing and planning these joins on every call
 * cost more PostgreSQL time than the insert itself (docs/decisions.md, "Per-request work").
 * One id is `= $id`, not `= ANY`: the plan is a plain primary-key lookup.
 */
let oneRowSql: SQL | undefined
let manyRowsSql: SQL | undefined

function byIdSql(db: Executor, many: boolean): SQL {
  const t = transactions
  const match = many ? sql`${t.id} = ANY(${sql.placeholder('ids')}::int[])` : sql`${t.id} = ${sql.placeholder('id')}::integer`
  return joined(db, t, rowSelection(t, placeholder, ADMIN_VIEW))
    .where(and(match, isNull(t.deletedAt)))
    .orderBy(asc(t.id))
    .getSQL()
}

export async function findTransactionRows(db: Executor, ids: number[], viewer: Viewer): Promise<TransactionRow[]> {
  if (!ids.length) return []
  if (ids.length === 1) return findOne(db, ids[0]!, viewer)
  manyRowsSql ??= byIdSql(db, true)
  return runNamed<TransactionRow>(db, 'tx_rows', manyRowsSql, { ids, ...viewerValues(viewer) })
}

function findOne(db: Executor, id: number, viewer: Viewer): Promise<TransactionRow[]> {
  oneRowSql ??= byIdSql(db, false)
  return runNamed<TransactionRow>(db, 'tx_row', oneRowSql, { id, ...viewerValues(viewer) })
}

export async function findTransactionRow(db: Executor, id: number, viewer: Viewer): Promise<TransactionRow | undefined> {
  const [row] = await findOne(db, id, viewer)
  return row
}

/**
 * What a row's JSON is made of, as one text: the tuple versions (xmin) of the transaction and of
 * every row its JSON shows (owner, reporter, confirmer, payment, periode). Any committed UPDATE
 * writes a new tuple with its own transaction's xmin, so a change to anything the JSON shows
 * changes this text; row locks (FOR UPDATE) and reads do not. Two updates in one transaction
 * share an xmin, but only the last is ever visible to other sessions (row-cache.ts).
 */
function rowVersion(tXmin: SQL) {
  const x = (table: string) => sql`${sql.identifier(table)}.xmin::text`
  return sql<string>`${tXmin} || '.' || ${x('owner')} || '.' || ${x('reporter')} || '.' || coalesce(${x('confirmer')}, '') || '.' || coalesce(${x('payments')}, '') || '.' || coalesce(${x('periodes')}, '')`
}

let textsByIdSql: SQL | undefined

/** Live rows by id as list texts (keys to sign marked, as a page's), each with its rowVersion. */
export async function findRowTexts(db: Executor, ids: number[], viewer: Viewer): Promise<{ id: number; v: string; row_text: string }[]> {
  if (!ids.length) return []
  const t = transactions
  textsByIdSql ??= joined(db, t, {
    id: sql<number>`${t.id}`.as('id'),
    v: rowVersion(sql`${t}.xmin::text`).as('v'),
    row_text: rowText(t, placeholder, ADMIN_VIEW).as('row_text'),
  })
    .where(and(sql`${t.id} = ANY(${sql.placeholder('ids')}::int[])`, isNull(t.deletedAt)))
    .getSQL()
  return runNamed(db, 'tx_texts', textsByIdSql, { ids, ...viewerValues(viewer) })
}

/**
 * Rows of a filter in the one row selection, newest first, after `after` (the CSV export reads
 * them in batches: keyset pages, or one cursor over the whole query on PostgreSQL). `k_date` is
 * the row's exact instant (microseconds, which JSON's milliseconds drop) for the next keyset.
 */
export function exportRowsQuery(
  db: Executor,
  f: TransactionFilter,
  viewer: Viewer,
  after: { date: string; id: number } | undefined,
  limit: number | undefined,
) {
  const t = transactions
  const keyset = after ? sql`(${t.transactionDate}, ${t.id}) < (${after.date}::timestamptz, ${after.id})` : undefined
  const query = joined(db, t, {
    ...rowSelection(t, literal, viewer),
    k_date: sql<string>`to_char(${t.transactionDate} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('k_date'),
  })
    .where(and(filterWhere(t, f, literal), keyset))
    // NULLS LAST as the (transaction_date DESC, id DESC) indexes were created, so their order is used.
    .orderBy(sql`${t.transactionDate} DESC NULLS LAST`, sql`${t.id} DESC NULLS LAST`)
  return limit ? query.limit(limit) : query
}

/** The statuses of the database enum (transaction_status): the one declaration. */
export const TRANSACTION_STATUSES = transactionStatus.enumValues
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number]

/** A parsed transaction filter (transactions.filter.ts makes it from a query string). */
export interface TransactionFilter {
  /** Members: only rows they own or reported. */
  visibleTo?: number | undefined
  /** Members' own summary: only rows they own. */
  ownedBy?: number | undefined
  periodeId?: number | undefined
  status?: TransactionStatus | undefined
  /** sent + on_process. */
  pending?: true | undefined
  paymentId?: number | undefined
  userId?: number | undefined
  from?: Date | undefined
  /** Exclusive upper bound. */
  toExclusive?: Date | undefined
  /** Inclusive upper bound. */
  toInclusive?: Date | undefined
  /** Keyset: only rows after this one in list order (the unpaginated list reads in chunks). */
  afterId?: number | undefined
}

const FILTER_KEYS = [
  'visibleTo',
  'ownedBy',
  'periodeId',
  'status',
  'pending',
  'paymentId',
  'userId',
  'from',
  'toExclusive',
  'toInclusive',
  'afterId',
] as const

/** Which filters are set, as a bit mask: one prepared statement per shape of filter. */
function shapeOf(f: TransactionFilter): number {
  let mask = 0
  FILTER_KEYS.forEach((k, i) => {
    if (f[k] !== undefined) mask |= 1 << i
  })
  return mask
}

/** Placeholder values of a filter (instants as ISO text: PostgreSQL parses them as timestamptz). */
function filterValues(f: TransactionFilter): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const k of FILTER_KEYS) {
    const v = f[k]
    if (v !== undefined && k !== 'pending') values[k] = v instanceof Date ? v.toISOString() : v
  }
  return values
}

/**
 * The WHERE of a transaction filter over `t` (the table, or an alias of it): the list, its totals,
 * the CSV and the summary. Soft-deleted rows never match. Member visibility stays a plain OR:
 * PostgreSQL answers it with a BitmapOr of the owner and reporter indexes (checked by EXPLAIN in
 * the tests), while an `id IN (... UNION ...)` rewrite made it hash-join against a sequential scan
 * of the whole table.
 */
function filterWhere(t: typeof transactions, f: TransactionFilter, bind: Bind): SQL {
  const conds: SQL[] = [isNull(t.deletedAt)]
  if (f.visibleTo !== undefined) {
    const v = bind('visibleTo', f.visibleTo) as number
    conds.push(or(eq(t.userId, v), eq(t.reportedBy, v)) as SQL)
  }
  if (f.ownedBy !== undefined) conds.push(eq(t.userId, bind('ownedBy', f.ownedBy) as number))
  if (f.periodeId !== undefined) conds.push(eq(t.periodeId, bind('periodeId', f.periodeId) as number))
  if (f.status !== undefined) conds.push(eq(t.status, bind('status', f.status) as TransactionStatus))
  if (f.pending) conds.push(inArray(t.status, ['sent', 'on_process']))
  if (f.paymentId !== undefined) conds.push(eq(t.paymentId, bind('paymentId', f.paymentId) as number))
  if (f.userId !== undefined) conds.push(eq(t.userId, bind('userId', f.userId) as number))
  if (f.from) conds.push(gte(t.transactionDate, bind('from', f.from) as Date))
  if (f.toExclusive) conds.push(lt(t.transactionDate, bind('toExclusive', f.toExclusive) as Date))
  if (f.toInclusive) conds.push(lte(t.transactionDate, bind('toInclusive', f.toInclusive) as Date))
  if (f.afterId !== undefined) {
    // Newest first means "after" is smaller in (date, id). The row's exact date is read from the
    // row itself: the JSON text has milliseconds, the column microseconds.
    const after = bind('afterId', f.afterId)
    const afterAt = bind('afterId', f.afterId)
    conds.push(sql`(${t.transactionDate}, ${t.id}) < ((SELECT k.transaction_date FROM transactions k WHERE k.id = ${afterAt}), ${after})`)
  }
  return and(...conds) as SQL
}

const listWhere = (f: TransactionFilter, bind: Bind) => filterWhere(transactions, f, bind)

/** `transactions t` as the reports' SQL names it. */
const reportAlias = alias(transactions, 't') as unknown as typeof transactions

/** A filter as a condition over `transactions t`, with literal values (reports and the CSV). */
export function filterSql(f: TransactionFilter): SQL {
  return filterWhere(reportAlias, f, literal)
}

// --- The one read model: a transaction's JSON, written by PostgreSQL ----------------------------

/**
 * Who is looking. Members see other people's email as null (no other member's personal data, R29);
 * the rule is applied once, in personJson below, for every nested user of every response.
 */
export interface Viewer {
  userId: number
  role: 'admin' | 'member'
}

/** The viewer as query values: literal (one-off queries) or placeholders (prepared statements). */
const viewerValues = (v: Viewer) => ({ viewerId: v.userId, viewerAdmin: v.role === 'admin' })

/** JSON literals of SQL values, as text; NULL gives `null`. Strings are escaped by to_json. */
const jText = (v: unknown) => sql`coalesce(to_json(${v})::text, 'null')`
const jNum = (v: unknown) => sql`coalesce(${v}::text, 'null')`
/** NUMERIC without trailing zeros: the same digits as JavaScript prints Number("150000.00") (≤ 15 significant digits). */
const jMoney = (v: unknown) => sql`coalesce(trim_scale(${v})::text, 'null')`
/** An instant as Date#toISOString writes it, whatever the session's TimeZone. */
const jTime = (v: unknown) => sql`coalesce('"' || to_char(${v} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"', 'null')`
const jDate = (v: unknown) => sql`coalesce('"' || ${v}::text || '"', 'null')`
/** Enum labels are plain identifiers: quoted, never escaped. */
const jEnum = (v: unknown) => sql`('"' || ${v}::text || '"')`

type PersonCols = Record<'id' | 'fullname' | 'username' | 'email' | 'userType', AnyColumn>

/**
 * A nested user's JSON up to its `image_profile_url` value, which the mapper fills in (it signs
 * the URL). The email is null unless the viewer is an admin or this user: the one place that rule
 * is written.
 */
function personJson(u: PersonCols, bind: Bind, viewer: Viewer) {
  const v = viewerValues(viewer)
  const admin = bind('viewerAdmin', v.viewerAdmin)
  const self = bind('viewerId', v.viewerId)
  return sql`'{"id":' || ${u.id} || ',"fullname":' || ${jText(u.fullname)} || ',"username":' || ${jText(u.username)} || ',"email":' || CASE WHEN ${admin}::boolean OR ${u.id} = ${self}::integer THEN ${jText(u.email)} ELSE 'null' END || ',"user_type":' || ${jEnum(u.userType)} || ',"image_profile_url":'`
}

/**
 * The one read model of a transaction: its JSON text in five parts written by PostgreSQL (the
 * joins, escaping, number and time formatting happen there, once, with no row objects built in
 * the server), and the raw values the server still adds: the signed receipt and profile-image URLs
 * (HMAC with a server secret) between the parts. transactionMapper (transactions.schemas.ts)
 * joins them. A new field is one line in rowSelection; the ids and status the services check
 * come alongside.
 */
export interface TransactionRow {
  id: number
  user_id: number
  reported_by: number
  status: TransactionStatus
  file_key: string | null
  legacy_proof_url: string | null
  o_image: string | null
  r_image: string | null
  c_image: string | null
  /** The deposit has a confirmer (j_confirmer then ends inside the confirmer's object). */
  c_present: boolean
  /** `{"id":…,"amount":…,"transaction_date":…,"bukti_transfer_url":` */
  j_head: string
  /** `,"status":…,"user":{…,"image_profile_url":` */
  j_owner: string
  /** `},"reported_date":…,"reported_by":{…,"image_profile_url":` */
  j_reporter: string
  /** `},"confirmed_by":` and, when there is one, `{…,"image_profile_url":` */
  j_confirmer: string
  /** `,"confirmed_at":…,"updated_at":…}` */
  j_tail: string
}

type TxSource = Record<TxCol, AnyColumn | SQL.Aliased>

/**
 * A transaction's JSON in the five parts PostgreSQL writes (see TransactionRow): between them go
 * the receipt URL, the owner's and the reporter's image URLs and the confirmer's.
 */
function jsonParts(t: TxSource, bind: Bind, viewer: Viewer) {
  const pay = payments
  const per = periodes
  const payment = sql`CASE WHEN ${pay.id} IS NULL THEN 'null' ELSE '{"id":' || ${pay.id} || ',"payment_name":' || ${jText(pay.paymentName)} || ',"payment_type":' || ${jText(pay.paymentType)} || ',"account_number":' || ${jText(pay.accountNumber)} || ',"account_holder":' || ${jText(pay.accountHolder)} || ',"is_active":' || ${pay.isActive}::text || ',"created_at":' || ${jTime(pay.createdAt)} || '}' END`
  const periode = sql`CASE WHEN ${per.id} IS NULL THEN 'null' ELSE '{"id":' || ${per.id} || ',"periode_name":' || ${jText(per.periodeName)} || ',"start_date":' || ${jDate(per.startDate)} || ',"end_date":' || ${jDate(per.endDate)} || ',"target_amount":' || ${jMoney(per.targetAmount)} || ',"created_at":' || ${jTime(per.createdAt)} || '}' END`
  return {
    head: sql<string>`'{"id":' || ${t.id} || ',"amount":' || ${jMoney(t.amount)} || ',"transaction_date":' || ${jTime(t.transactionDate)} || ',"bukti_transfer_url":'`,
    owner: sql<string>`',"status":' || ${jEnum(t.status)} || ',"user_id":' || ${t.userId} || ',"user":' || ${personJson(owner, bind, viewer)}`,
    reporter: sql<string>`'},"reported_date":' || ${jTime(t.reportedDate)} || ',"reported_by":' || ${personJson(reporter, bind, viewer)}`,
    confirmer: sql<string>`'},"confirmed_by":' || CASE WHEN ${confirmer.id} IS NULL THEN '' ELSE ${personJson(confirmer, bind, viewer)} END`,
    tail: sql<string>`',"confirmed_at":' || ${jTime(t.confirmedAt)} || ',"payment_id":' || ${jNum(t.paymentId)} || ',"payment":' || ${payment} || ',"periode_id":' || ${jNum(t.periodeId)} || ',"periode":' || ${periode} || ',"is_duplicate_receipt":' || (${t.duplicateOfId} IS NOT NULL)::text || ',"duplicate_of_id":' || ${jNum(t.duplicateOfId)} || ',"receipt_number":' || ${jText(t.receiptNumber)} || ',"status_note":' || ${jText(t.statusNote)} || ',"created_at":' || ${jTime(t.createdAt)} || ',"updated_at":' || ${jTime(t.updatedAt)} || '}'`,
  }
}

/** The columns of TransactionRow, from the table or from the page subquery. */
function rowSelection(t: TxSource, bind: Bind, viewer: Viewer) {
  const j = jsonParts(t, bind, viewer)
  return {
    id: sql<number>`${t.id}`.as('id'),
    user_id: sql<number>`${t.userId}`.as('user_id'),
    reported_by: sql<number>`${t.reportedBy}`.as('reported_by'),
    status: sql<TransactionStatus>`${t.status}`.as('status'),
    file_key: sql<string | null>`${t.fileKey}`.as('file_key'),
    legacy_proof_url: sql<string | null>`${t.legacyProofUrl}`.as('legacy_proof_url'),
    o_image: sql<string | null>`${owner.imageProfileKey}`.as('o_image'),
    r_image: sql<string | null>`${reporter.imageProfileKey}`.as('r_image'),
    c_image: sql<string | null>`${confirmer.imageProfileKey}`.as('c_image'),
    c_present: sql<boolean>`(${confirmer.id} IS NOT NULL)`.as('c_present'),
    j_head: j.head.as('j_head'),
    j_owner: j.owner.as('j_owner'),
    j_reporter: j.reporter.as('j_reporter'),
    j_confirmer: j.confirmer.as('j_confirmer'),
    j_tail: j.tail.as('j_tail'),
  }
}

/**
 * A storage key to sign, inside a list's text: chr(1), the key as a JSON string, chr(1). to_json
 * escapes every control character, so chr(1) occurs nowhere else in the text; the server swaps
 * each such mark for the signed URL (fillKeys in transactions.schemas.ts).
 */
const jKey = (v: unknown) => sql`CASE WHEN ${v} IS NULL THEN 'null' ELSE chr(1) || to_json(${v})::text || chr(1) END`

/** A whole transaction's JSON as one text, its URLs as marked keys: what TransactionRow's parts and mapper make. */
function rowText(t: TxSource, bind: Bind, viewer: Viewer) {
  const j = jsonParts(t, bind, viewer)
  return sql<string>`${j.head} || CASE WHEN ${t.fileKey} IS NULL THEN ${jText(t.legacyProofUrl)} ELSE ${jKey(t.fileKey)} END || ${j.owner} || ${jKey(owner.imageProfileKey)} || ${j.reporter} || ${jKey(reporter.imageProfileKey)} || ${j.confirmer} || CASE WHEN ${confirmer.id} IS NULL THEN 'null' ELSE ${jKey(confirmer.imageProfileKey)} || '}' END || ${j.tail}`
}

/**
 * `t` joined to its people, payment and periode in one round trip (no N+1). Owner and reporter
 * always exist (NOT NULL FKs; users with money records are anonymised, never removed).
 */
function joined(db: Executor, t: TxSource, fields: Record<string, SQL.Aliased>) {
  return db
    .select(fields)
    .from(t as unknown as typeof transactions)
    .innerJoin(owner, eq(owner.id, t.userId as AnyColumn))
    .innerJoin(reporter, eq(reporter.id, t.reportedBy as AnyColumn))
    .leftJoin(confirmer, eq(confirmer.id, t.confirmedBy as AnyColumn))
    .leftJoin(payments, eq(payments.id, t.paymentId as AnyColumn))
    .leftJoin(periodes, eq(periodes.id, t.periodeId as AnyColumn))
}

/**
 * Prepared statements per executor and filter shape. On PostgreSQL planning the list and totals
 * queries cost 5-8 ms per request against 1-3 ms of execution; a named statement is parsed and
 * planned once per pool connection. At most 2^8 shapes, in practice a handful.
 */
const combinedStatements = new WeakMap<Executor, Map<number, ReturnType<ReturnType<typeof pageWithTotalsQuery>['prepare']>>>()

function cached<V>(cache: WeakMap<Executor, Map<number, V>>, db: Executor, shape: number, make: () => V): V {
  let perDb = cache.get(db)
  if (!perDb) {
    perDb = new Map()
    cache.set(db, perDb)
  }
  let statement = perDb.get(shape)
  if (!statement) {
    statement = make()
    perDb.set(shape, statement)
  }
  return statement
}

/** Count and exact sums (NUMERIC in SQL, returned as text) of the filtered rows. */
function totalsQuery(db: Executor, f: TransactionFilter, bind: Bind) {
  return db
    .select({
      total: sql<number>`count(*)::int`.as('t_total'),
      totalAmount: sql<string>`coalesce(sum(${transactions.amount}), 0)::text`.as('t_total_amount'),
      completedAmount: sql<string>`coalesce(sum(${transactions.amount}) FILTER (WHERE ${transactions.status} = 'completed'), 0)::text`.as(
        't_completed_amount',
      ),
      pendingAmount:
        sql<string>`coalesce(sum(${transactions.amount}) FILTER (WHERE ${transactions.status} IN ('sent', 'on_process')), 0)::text`.as(
          't_pending_amount',
        ),
    })
    .from(transactions)
    .where(listWhere(f, bind))
}

/**
 * Filters that the running totals (ledger_totals, kept by triggers with every change) answer:
 * everything visible (an admin), narrowed by periode, payment method or status. The whole ledger's
 * list then counts and sums a few hundred totals rows instead of every transaction.
 */
const totalsFromLedger = (f: TransactionFilter) =>
  f.visibleTo === undefined &&
  f.ownedBy === undefined &&
  f.userId === undefined &&
  f.from === undefined &&
  f.toExclusive === undefined &&
  f.toInclusive === undefined

/** The same four figures as totalsQuery, from ledger_totals (0 there stands for "none"). */
function ledgerTotalsQuery(db: Executor, f: TransactionFilter, bind: Bind) {
  const l = ledgerTotals
  const conds: SQL[] = []
  if (f.periodeId !== undefined) conds.push(eq(l.periodeId, bind('periodeId', f.periodeId) as number))
  if (f.paymentId !== undefined) conds.push(eq(l.paymentId, bind('paymentId', f.paymentId) as number))
  if (f.status !== undefined) conds.push(eq(l.status, bind('status', f.status) as TransactionStatus))
  if (f.pending) conds.push(inArray(l.status, ['sent', 'on_process']))
  return db
    .select({
      total: sql<number>`coalesce(sum(${l.count}), 0)::int`.as('t_total'),
      totalAmount: sql<string>`coalesce(sum(${l.amount}), 0)::text`.as('t_total_amount'),
      completedAmount: sql<string>`coalesce(sum(${l.amount}) FILTER (WHERE ${l.status} = 'completed'), 0)::text`.as('t_completed_amount'),
      pendingAmount: sql<string>`coalesce(sum(${l.amount}) FILTER (WHERE ${l.status} IN ('sent', 'on_process')), 0)::text`.as(
        't_pending_amount',
      ),
    })
    .from(l)
    .where(conds.length ? and(...conds) : undefined)
}

const TOTAL_COLUMNS = ['t_total', 't_total_amount', 't_completed_amount', 't_pending_amount'] as const

/**
 * A page of the list as a few texts written by PostgreSQL: each group's rows' JSON joined by
 * commas in list order (keys to sign marked, see jKey), with how many rows and the group's last
 * id (the next chunk's keyset). One value per 32 rows instead of fifteen per row: the driver makes
 * a few strings, not thousands, which on a 500-row page was most of the server's work (garbage
 * collection above all).
 */
function pageTextQuery(
  db: Executor,
  f: TransactionFilter,
  viewer: Viewer,
  bind: Bind,
  limit: number,
  offset: number,
  kind: PageKind = 'texts',
) {
  const page = pageSubquery(db, f, bind, limit, offset)
  const pageOrder = sql`${page.transactionDate} DESC, ${page.id} DESC`
  const rows = joined(db, page, {
    id: sql<number>`${page.id}`.as('id'),
    row_text: (kind === 'texts' ? rowText(page, bind, viewer) : sql<string>`${page.id} || ':' || ${rowVersion(sql`${page.tXmin}`)}`).as(
      'row_text',
    ),
    ord: sql<number>`row_number() OVER (ORDER BY ${pageOrder})`.as('ord'),
  })
  // Groups of PAGE_TEXT_ROWS rows: one huge value would be copied again with every socket read
  // while the driver waits for its end (pg-protocol merges a message's pieces), a group stays small.
  const separator = kind === 'texts' ? ',' : ' '
  return sql`SELECT string_agg(r.row_text, ${sql.raw(`'${separator}'`)} ORDER BY r.ord) AS l_text, count(*)::int AS l_count, (array_agg(r.id ORDER BY r.ord DESC))[1] AS l_last, min(r.ord) AS l_ord FROM (${rows}) AS r GROUP BY (r.ord - 1) / ${sql.raw(String(PAGE_TEXT_ROWS))}`
}
/**
 * What a page query returns per row: its JSON (`texts`, rows joined by commas), or `keys`: the
 * row's id and rowVersion as `id:version`, joined by spaces, for pages built from the row cache.
 */
export type PageKind = 'texts' | 'keys'

const PAGE_TEXT_ROWS = 32

/**
 * Page and totals in one round trip: the one-row totals CROSS JOIN LATERAL the page's one-row
 * aggregate. Each part keeps its own plan (the page still stops at LIMIT; the totals still cover
 * the whole filtered set, not the page). Measured on scenario (b): one pool checkout and one
 * Bind/Execute instead of two per request.
 */
function pageWithTotalsQuery(
  db: Executor,
  f: TransactionFilter,
  viewer: Viewer,
  bind: Bind,
  limit: number,
  offset: number,
  kind: PageKind,
) {
  const totals = totalsFromLedger(f) ? ledgerTotalsQuery(db, f, bind) : totalsQuery(db, f, bind)
  const fields: Record<string, SQL.Aliased> = {}
  for (const c of [...TOTAL_COLUMNS, 'l_text', 'l_count', 'l_last']) fields[c] = sql.raw(c).as(c)
  // LEFT JOIN … ON true: an empty page still yields the totals row, its page columns NULL.
  return db
    .select(fields)
    .from(sql`(${totals}) AS tot LEFT JOIN LATERAL (${pageTextQuery(db, f, viewer, bind, limit, offset, kind)}) AS l ON true`)
    .orderBy(sql`l.l_ord`)
}

/** The combined statement with literal values (tests may EXPLAIN it). */
export function listPageWithTotalsQuery(
  db: Executor,
  f: TransactionFilter,
  limit: number,
  offset: number,
  viewer: Viewer = ADMIN_VIEW,
  kind: PageKind = 'texts',
) {
  return pageWithTotalsQuery(db, f, viewer, literal, limit, offset, kind)
}

export interface ListTotals {
  total: number
  totalAmount: string
  completedAmount: string
  pendingAmount: string
}

/** A page of the list as texts of up to PAGE_TEXT_ROWS rows each (JSON, or keys: PageKind), in list order (see pageTextQuery). */
export interface PageText {
  texts: string[]
  count: number
  lastId: number | null
}
interface PageTextRow {
  l_text: string | null
  l_count: number
  l_last: number | null
}
/** A page's groups (in list order) as one PageText. */
function pageTextOf(groups: PageTextRow[]): PageText {
  const last = groups.at(-1)
  if (!last || last.l_text === null) return { texts: [], count: 0, lastId: null }
  let count = 0
  const texts: string[] = []
  for (const g of groups) {
    count += g.l_count
    texts.push(g.l_text as string)
  }
  return { texts, count, lastId: last.l_last }
}

type PreparedAll = { all(values: Record<string, unknown>): Promise<unknown[]> }

/** One page of the list (newest first, as texts of rows or their keys) and the count and exact sums of the whole filtered set. */
export async function listPageWithTotals(
  db: Executor,
  f: TransactionFilter,
  viewer: Viewer,
  limit: number,
  offset: number,
  kind: PageKind = 'texts',
): Promise<{ page: PageText; totals: ListTotals }> {
  const shape = shapeOf(f)
  const name = `tx_page_${kind === 'texts' ? 'totals' : 'keys'}_${shape}`
  const statement = cached(combinedStatements, db, kind === 'texts' ? shape : -1 - shape, () =>
    pageWithTotalsQuery(db, f, viewer, placeholder, 0, 0, kind).prepare(name),
  )
  const groups = (await (statement as unknown as PreparedAll).all({
    ...filterValues(f),
    ...viewerValues(viewer),
    limit,
    offset,
  })) as (PageTextRow & Record<(typeof TOTAL_COLUMNS)[number], unknown>)[]
  const row = groups[0]
  const totals: ListTotals = row
    ? {
        total: Number(row.t_total),
        totalAmount: String(row.t_total_amount),
        completedAmount: String(row.t_completed_amount),
        pendingAmount: String(row.t_pending_amount),
      }
    : { total: 0, totalAmount: '0', completedAmount: '0', pendingAmount: '0' }
  return { page: pageTextOf(groups), totals }
}

const chunkStatements = new WeakMap<Executor, Map<number, SQL>>()

/**
 * The next `limit` rows of the list after `f.afterId`, without totals, as texts of rows: how the
 * unpaginated list is read, chunk by chunk, so that neither the server nor the database holds the
 * whole ledger.
 */
export async function listChunk(
  db: Executor,
  f: TransactionFilter & { afterId: number },
  viewer: Viewer,
  limit: number,
): Promise<PageText> {
  const shape = shapeOf(f)
  const query = cached(chunkStatements, db, shape, () => sql`${pageTextQuery(db, f, viewer, placeholder, 0, 0)} ORDER BY l_ord`)
  const groups = await runNamed<PageTextRow>(db, `tx_chunk_${shape}`, query, {
    ...filterValues(f),
    ...viewerValues(viewer),
    limit,
    offset: 0,
  })
  return pageTextOf(groups)
}

/** One status-history entry's JSON in parts, as TransactionRow: the changer's image URL goes between. */
export interface HistoryRow {
  changer_present: boolean
  changer_image: string | null
  /** `{"from_status":…,"to_status":…,"changed_by":` and, when known, `{…,"image_profile_url":` */
  h_head: string
  /** `,"note":…,"changes":…,"created_at":…}` */
  h_tail: string
}

export async function findHistory(db: Executor, transactionId: number, viewer: Viewer): Promise<HistoryRow[]> {
  const h = transactionStatusHistory
  return db
    .select({
      changer_present: sql<boolean>`(${changer.id} IS NOT NULL)`.as('changer_present'),
      changer_image: sql<string | null>`${changer.imageProfileKey}`.as('changer_image'),
      h_head:
        sql<string>`'{"from_status":' || coalesce(${jEnum(h.fromStatus)}, 'null') || ',"to_status":' || ${jEnum(h.toStatus)} || ',"changed_by":' || CASE WHEN ${changer.id} IS NULL THEN '' ELSE ${personJson(changer, literal, viewer)} END`.as(
          'h_head',
        ),
      h_tail:
        sql<string>`',"note":' || ${jText(h.note)} || ',"changes":' || coalesce(${h.changes}::text, 'null') || ',"created_at":' || ${jTime(h.createdAt)} || '}'`.as(
          'h_tail',
        ),
    })
    .from(h)
    .leftJoin(changer, eq(changer.id, h.changedBy))
    .where(eq(h.transactionId, transactionId))
    .orderBy(asc(h.id))
}

/**
 * Everything a submission checks before it writes, in one round trip (a named prepared statement,
 * src/db/prepared.ts): the owners (one row each; none when no owner exists: the LEFT JOIN still
 * yields one row of NULLs), the periode (the given one if it exists, else none; with no periode
 * given, the one whose dates contain `on`), and whether the given payment method is active (NULL:
 * no such method, or none given).
 */
const submissionRefsQuery = prepared((db) => {
  const periodeId = sql.placeholder('periodeId')
  const on = sql.placeholder('on')
  const paymentId = sql.placeholder('paymentId')
  return db
    .select({
      periodeId: sql<number | null>`coalesce(
        (SELECT ${periodes.id} FROM ${periodes} WHERE ${periodes.id} = ${periodeId}::int),
        (SELECT ${periodes.id} FROM ${periodes}
          WHERE ${periodeId}::int IS NULL AND ${periodes.startDate} <= ${on}::date AND ${periodes.endDate} >= ${on}::date
          ORDER BY ${periodes.startDate} DESC LIMIT 1))`.as('periode_id'),
      paymentActive: sql<boolean | null>`(SELECT ${payments.isActive} FROM ${payments} WHERE ${payments.id} = ${paymentId}::int)`.as(
        'payment_active',
      ),
      ownerId: users.id,
      userType: users.userType,
      isActive: users.isActive,
      anonymisedAt: users.anonymisedAt,
    })
    .from(sql`(SELECT 1) AS refs`)
    .leftJoin(users, sql`${users.id} = ANY(${sql.placeholder('ownerIds')}::int[])`)
    .prepare('submission_refs')
})

export interface SubmissionRefs {
  owners: { id: number; userType: 'admin' | 'member'; isActive: boolean; anonymisedAt: Date | null }[]
  periodeId: number | null
  /** The given payment method's `is_active`; null when it does not exist (or none was given). */
  paymentActive: boolean | null
}

export async function findSubmissionRefs(
  db: Executor,
  ownerIds: number[],
  periodeId: number | null,
  /** The deposit's local date (YYYY-MM-DD): finds the periode when none is given. */
  on: string | null,
  paymentId: number | null,
): Promise<SubmissionRefs> {
  const found = await submissionRefsQuery(db).execute({ ownerIds, periodeId, on, paymentId })
  const first = found[0]
  return {
    owners: found.flatMap((r) =>
      r.ownerId === null ? [] : [{ id: r.ownerId, userType: r.userType, isActive: r.isActive, anonymisedAt: r.anonymisedAt }],
    ) as SubmissionRefs['owners'],
    periodeId: first?.periodeId ?? null,
    paymentActive: first?.paymentActive ?? null,
  }
}

export async function findPeriode(db: Executor, id: number) {
  const [row] = await db.select({ id: periodes.id }).from(periodes).where(eq(periodes.id, id)).limit(1)
  return row
}

export async function findPayment(db: Executor, id: number) {
  const [row] = await db.select({ id: payments.id, isActive: payments.isActive }).from(payments).where(eq(payments.id, id)).limit(1)
  return row
}

/**
 * Serialise receipt submissions per owner for the rest of the transaction, so two uploads of the
 * same receipt at the same moment cannot both miss each other in the duplicate check.
 */
export async function lockOwners(db: Executor, ownerIds: number[]) {
  for (const id of [...new Set(ownerIds)].sort((a, b) => a - b)) {
    await runNamed(db, 'lock_receipt_owner', lockOwnerSql, { id })
  }
}
/** lockForTransaction([LOCK_CLASSES.receiptOwner, id]) as a named statement: it runs on every receipt. */
const lockOwnerSql = sql`SELECT pg_advisory_xact_lock(${sql.raw(String(LOCK_CLASSES.receiptOwner))}, ${sql.placeholder('id')}::integer)`

/** The first live transaction of this owner with the same receipt content. */
export async function findDuplicateReceipt(db: Executor, userId: number, sha256: string) {
  const [row] = await runNamed<{ id: number }>(db, 'tx_duplicate_receipt', duplicateReceiptSql, { userId, sha256 })
  return row?.id
}
const duplicateReceiptSql = sql`SELECT ${transactions.id} AS id FROM ${transactions}
  WHERE ${transactions.userId} = ${sql.placeholder('userId')}::integer AND ${transactions.fileSha256} = ${sql.placeholder('sha256')}
    AND ${transactions.deletedAt} IS NULL
  ORDER BY ${transactions.id} LIMIT 1`

export async function insertTransactions(db: Executor, values: (typeof transactions.$inferInsert)[]) {
  return db.insert(transactions).values(values).returning({ id: transactions.id })
}

export interface NewDeposits {
  transactionDate: Date
  reportedBy: number
  periodeId: number | null
  paymentId: number | null
  fileKey: string | null
  fileSha256: string | null
  /** One deposit each; their ids follow this order. */
  items: { userId: number; amount: string; duplicateOfId: number | null }[]
}

/**
 * Submitted deposits (status `sent`), each with its first history entry (-> sent, by the reporter)
 * and its `deposit.submitted` outbox event, in one statement: one round trip instead of three, and
 * one unit whatever the caller's transaction does. The triggers run as they would for separate
 * statements: the ledger marks and totals (migration 0010) and the history's audit entry (0006).
 * A named prepared statement: parsed and planned once per connection.
 */
export async function insertDeposits(tx: Executor, d: NewDeposits): Promise<{ id: number; userId: number; amount: string }[]> {
  const ins = sql.raw('ins')
  const inserted = await runNamed<{ id: number; user_id: number; amount: string }>(
    tx,
    'insert_deposits',
    sql`WITH ins AS (
      INSERT INTO ${transactions} (amount, transaction_date, status, user_id, reported_by, periode_id, payment_id, file_key, file_sha256, duplicate_of_id)
      SELECT i.amount, ${d.transactionDate.toISOString()}::timestamptz, 'sent'::transaction_status, i.user_id, ${d.reportedBy}::int,
        ${d.periodeId}::int, ${d.paymentId}::int, ${d.fileKey}::text, ${d.fileSha256}::text, i.duplicate_of_id
      FROM unnest(${sql.param(d.items.map((i) => i.userId))}::int[], ${sql.param(d.items.map((i) => i.amount))}::numeric[],
        ${sql.param(d.items.map((i) => i.duplicateOfId))}::int[]) WITH ORDINALITY AS i(user_id, amount, duplicate_of_id, ord)
      ORDER BY i.ord
      RETURNING id, user_id, reported_by, amount
    ), history AS (
      INSERT INTO ${transactionStatusHistory} (transaction_id, from_status, to_status, changed_by)
      SELECT id, NULL, 'sent'::transaction_status, reported_by FROM ins ORDER BY id
    ), events AS (
      ${publishEachSql(
        'deposit.submitted',
        ins,
        // The amount as the JSON number toMoney() gives (trim_scale: 50000.00 -> 50000).
        sql`jsonb_build_object('transaction_id', ins.id, 'user_id', ins.user_id, 'reported_by', ins.reported_by, 'amount', trim_scale(ins.amount))`,
        sql`ins.id`,
      )}
    )
    SELECT id, user_id, amount::text AS amount FROM ins ORDER BY id`,
  )
  return inserted.map((r) => ({ id: Number(r.id), userId: Number(r.user_id), amount: r.amount }))
}

export async function insertHistory(db: Executor, values: (typeof transactionStatusHistory.$inferInsert)[]) {
  await db.insert(transactionStatusHistory).values(values)
}

/** Lock a live transaction row for a state change (SELECT ... FOR UPDATE). */
export async function lockTransaction(db: Executor, id: number) {
  const [row] = await db
    .select({
      id: transactions.id,
      status: transactions.status,
      amount: transactions.amount,
      userId: transactions.userId,
      reportedBy: transactions.reportedBy,
      transactionDate: transactions.transactionDate,
      periodeId: transactions.periodeId,
      paymentId: transactions.paymentId,
      fileSha256: transactions.fileSha256,
    })
    .from(transactions)
    .where(and(eq(transactions.id, id), isNull(transactions.deletedAt)))
    .for('update')
  return row
}

/** Conditional update: only applies when the row is still in `expected` (belt and braces with the lock). */
export async function updateStatus(
  db: Executor,
  id: number,
  expected: TransactionStatus,
  next: TransactionStatus,
  confirmedBy: number | undefined,
  note: string | null,
) {
  const [row] = await db
    .update(transactions)
    .set({
      status: next,
      statusNote: note,
      updatedAt: sql`now()`,
      ...(confirmedBy !== undefined ? { confirmedBy, confirmedAt: sql`now()` } : {}),
    })
    .where(and(eq(transactions.id, id), eq(transactions.status, expected), isNull(transactions.deletedAt)))
    .returning({ id: transactions.id })
  return row
}

/** Active admins other than `userId` (four eyes: is the caller the only one?). */
export async function countOtherActiveAdmins(db: Executor, userId: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(and(eq(users.userType, 'admin'), eq(users.isActive, true), isNull(users.anonymisedAt), sql`${users.id} <> ${userId}`))
  return Number(row?.n ?? 0)
}

/** Apply a correction and put the deposit back to `sent`, only while it still needs correction. */
export async function applyCorrection(db: Executor, id: number, values: Partial<typeof transactions.$inferInsert>) {
  const [row] = await db
    .update(transactions)
    .set({ ...values, status: 'sent', statusNote: null, updatedAt: sql`now()` })
    .where(and(eq(transactions.id, id), eq(transactions.status, 'needs_correction'), isNull(transactions.deletedAt)))
    .returning({ id: transactions.id })
  return row
}

/** The first live transaction of this owner with the same receipt content, other than `exceptId`. */
export async function findOtherDuplicateReceipt(db: Executor, userId: number, sha256: string, exceptId: number) {
  const [row] = await db
    .select({ id: transactions.id })
    .from(transactions)
    .where(
      and(
        eq(transactions.userId, userId),
        eq(transactions.fileSha256, sha256),
        isNull(transactions.deletedAt),
        sql`${transactions.id} <> ${exceptId}`,
      ),
    )
    .orderBy(asc(transactions.id))
    .limit(1)
  return row?.id
}

export async function softDelete(db: Executor, id: number, by: number) {
  const [row] = await db
    .update(transactions)
    .set({ deletedAt: sql`now()`, deletedBy: by, updatedAt: sql`now()` })
    .where(and(eq(transactions.id, id), isNull(transactions.deletedAt)))
    .returning({ id: transactions.id })
  return row
}

// --- Idempotency keys --------------------------------------------------------------------------

/**
 * Last resort for a claim whose owner cannot be checked (rows from before owners were recorded):
 * older than this without a response, it belonged to a request that died mid-way.
 */
const ABANDONED_AFTER = sql`interval '5 minutes'`

/**
 * Claim (user, key) for a new request. Inserts the claim, or takes over a row that has expired or
 * was abandoned in flight; returns false when a live row exists (replay, mismatch or in flight).
 * The same statement drops the caller's other expired keys (housekeeping, cheap: primary-key
 * prefix), so a keyed submission pays one round trip for both; a named prepared statement.
 */
export async function claimIdempotencyKey(
  db: Executor,
  userId: number,
  key: string,
  requestHash: string,
  ttlSeconds: number,
  owner: string,
) {
  const claimed = await runNamed<{ key: string }>(
    db,
    'idempotency_claim',
    sql`WITH purged AS (
      DELETE FROM ${idempotencyKeys} WHERE user_id = ${userId}::int AND expires_at < now() AND key <> ${key}::text
    )
    INSERT INTO ${idempotencyKeys} (user_id, key, request_hash, owner, expires_at)
    VALUES (${userId}::int, ${key}::text, ${requestHash}::text, ${owner}::text, now() + make_interval(secs => ${ttlSeconds}::int))
    ON CONFLICT (user_id, key) DO UPDATE SET request_hash = excluded.request_hash, owner = excluded.owner, status_code = NULL,
      response_body = NULL, created_at = now(), expires_at = excluded.expires_at
    WHERE idempotency_keys.expires_at < now() OR (idempotency_keys.status_code IS NULL AND idempotency_keys.created_at < now() - ${ABANDONED_AFTER})
    RETURNING key`,
  )
  return claimed.length === 1
}

/**
 * Take over an in-flight claim from `deadOwner` (a process that is gone). Conditional on the row
 * still being that owner's unanswered claim, so two retries racing for it cannot both win.
 */
export async function takeOverIdempotencyKey(db: Executor, userId: number, key: string, deadOwner: string, owner: string) {
  const rows = await db
    .update(idempotencyKeys)
    .set({ owner, createdAt: sql`now()` })
    .where(
      and(
        eq(idempotencyKeys.userId, userId),
        eq(idempotencyKeys.key, key),
        isNull(idempotencyKeys.statusCode),
        eq(idempotencyKeys.owner, deadOwner),
      ),
    )
    .returning({ key: idempotencyKeys.key })
  return rows.length === 1
}

export async function findIdempotencyKey(db: Executor, userId: number, key: string) {
  const [row] = await db
    .select({
      owner: idempotencyKeys.owner,
      requestHash: idempotencyKeys.requestHash,
      statusCode: idempotencyKeys.statusCode,
      responseBody: idempotencyKeys.responseBody,
    })
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)))
    .limit(1)
  return row
}

export async function storeIdempotentResponse(db: Executor, userId: number, key: string, statusCode: number, body: unknown) {
  await db
    .update(idempotencyKeys)
    .set({ statusCode, responseBody: body })
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)))
}

/** Drop an in-flight claim whose request failed, so the client can retry with the same key. */
export async function releaseIdempotencyKey(db: Executor, userId: number, key: string) {
  await db
    .delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key), isNull(idempotencyKeys.statusCode)))
}

// --- The list cache's marker ------------------------------------------------------------------

/**
 * What a cached list of this viewer depends on, as one text: the catalog marker (payments,
 * periodes, nested users: data_versions) and the viewer's ledger mark — a member's own row, an
 * admin's sum of all rows (ledger_marks in schema.ts). Read before the list, in its own statement:
 * an entry is never older than its marker, and any later committed change yields another marker.
 */
export async function listMarker(db: Executor, memberId: number | undefined): Promise<string> {
  const mark =
    memberId === undefined
      ? sql`(SELECT coalesce(sum(${ledgerMarks.version}), 0) FROM ${ledgerMarks})`
      : sql`(SELECT coalesce(max(${ledgerMarks.version}), 0) FROM ${ledgerMarks} WHERE ${ledgerMarks.userId} = ${memberId})`
  const [row] = await rows<{ marker: string }>(
    db,
    sql`SELECT (SELECT ${dataVersions.version}::text FROM ${dataVersions} WHERE ${dataVersions.name} = 'ledger') || ':' || ${mark}::text AS marker`,
  )
  return row?.marker ?? ''
}
