/**
 * GET /reports/transactions.csv: format (BOM, header, RFC 4180 quoting, formula neutralising,
 * dot decimals, APP_TIMEZONE), the list's filters and visibility, errors, and streaming of 100,000
 * rows over a real socket with the heap watched while it flows.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { sql } from 'drizzle-orm'
import { payments, periodes, transactions } from '../../src/db/schema.js'
import { CSV_COLUMNS } from '../../src/modules/reports/reports.csv.js'
import { build, createUser, login, unique, userWithToken } from '../helpers/app.js'

const t = await build()
const db = t.db.database.db

/** RFC 4180 parser (test-side, independent of the encoder) returning rows of cells. */
function parseCsv(text: string): string[][] {
  const out: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(cell)
      cell = ''
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell)
      out.push(row)
      row = []
      cell = ''
      i++
    } else cell += ch
  }
  assert.equal(cell, '', 'file ends with CRLF')
  return out
}

async function csv(url: string, headers: Record<string, string>) {
  const res = await t.app.inject({ url, headers })
  assert.equal(res.statusCode, 200, res.body)
  const text = res.rawPayload.toString('utf8')
  assert.ok(text.startsWith('\uFEFF'), 'UTF-8 BOM')
  const [header, ...rows] = parseCsv(text.slice(1))
  assert.deepEqual(header, [...CSV_COLUMNS])
  return { res, rows: rows.map((r) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]]))) }
}

const admin = await userWithToken(t, 'admin')
const [periodeA] = await db
  .insert(periodes)
  .values({ periodeName: unique('P'), startDate: '2035-01-01', endDate: '2035-12-31' })
  .returning()
const [periodeB] = await db
  .insert(periodes)
  .values({ periodeName: unique('P'), startDate: '2036-01-01', endDate: '2036-12-31' })
  .returning()
const [bank] = await db
  .insert(payments)
  .values({ paymentName: unique('Bank "Syariah", Cabang'), paymentType: 'bank' })
  .returning()

describe('CSV format, filters and visibility', async () => {
  const nasty = await createUser(t, { fullname: '=HYPERLINK("http://evil.test","klik")' })
  const plus = await createUser(t, { fullname: '+62 812, "Pak" Budi\r\nbaris dua' })
  const minus = await createUser(t, { fullname: '-Dewi' })
  const at = await createUser(t, { fullname: '@Rahmat' })
  const tab = await createUser(t, { fullname: '\tTabitha' })
  const plain = await createUser(t, { fullname: 'Siti Ümmü' })
  const memberTokens = await login(t, plain)
  const asPlain = { authorization: `Bearer ${memberTokens.access_token}` }
  const insert = (v: {
    user: number
    reporter?: number
    amount: string
    at: string
    status?: 'sent' | 'on_process' | 'completed' | 'rejected'
    periode?: number
    payment?: number
    deleted?: boolean
  }) =>
    db
      .insert(transactions)
      .values({
        userId: v.user,
        reportedBy: v.reporter ?? v.user,
        amount: v.amount,
        transactionDate: new Date(v.at),
        status: v.status ?? 'sent',
        periodeId: v.periode ?? null,
        paymentId: v.payment ?? null,
        deletedAt: v.deleted ? new Date() : null,
      })
      .returning()
      .then((r) => r[0]!)
  const tNasty = await insert({
    user: nasty.id,
    amount: '1500000.50',
    at: '2035-02-01T17:30:00Z',
    status: 'completed',
    periode: periodeA!.id,
    payment: bank!.id,
  })
  const tPlus = await insert({ user: plus.id, amount: '20000.00', at: '2035-02-02T01:00:00Z', periode: periodeA!.id })
  await insert({ user: minus.id, amount: '1.05', at: '2035-02-03T01:00:00Z', status: 'rejected', periode: periodeB!.id })
  await insert({ user: at.id, amount: '300.00', at: '2035-02-04T01:00:00Z', status: 'on_process', periode: periodeB!.id })
  await insert({ user: tab.id, amount: '400.00', at: '2035-02-05T01:00:00Z', periode: periodeB!.id })
  const own = await insert({
    user: plain.id,
    amount: '999999999999.99',
    at: '2035-03-01T01:00:00Z',
    status: 'completed',
    periode: periodeB!.id,
  })
  // Reported by `plain` for someone else: visible to `plain` as its reporter.
  const reported = await insert({
    user: minus.id,
    reporter: plain.id,
    amount: '75000.00',
    at: '2035-03-02T01:00:00Z',
    periode: periodeB!.id,
  })
  await insert({ user: plain.id, amount: '123.00', at: '2035-03-03T01:00:00Z', deleted: true })

  test('BOM, header, headers, RFC 4180 quoting, formula neutralising, exact amounts, local times', async () => {
    const { res, rows } = await csv(`/reports/transactions.csv?periode_id=${periodeA!.id}`, admin.auth)
    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8')
    assert.match(String(res.headers['content-disposition']), /^attachment; filename="transactions-\d{4}-\d{2}-\d{2}\.csv"$/)
    assert.deepEqual(
      rows.map((r) => r.id),
      [String(tPlus.id), String(tNasty.id)],
      'newest first',
    )
    const n = rows[1]!
    assert.equal(n.user_fullname, `'=HYPERLINK("http://evil.test","klik")`)
    assert.equal(n.amount, '1500000.50')
    assert.equal(n.status, 'completed')
    assert.equal(n.transaction_date, '2035-02-02 00:30:00', '17:30Z is 00:30 next day in Jakarta')
    assert.equal(n.payment_name, bank!.paymentName)
    assert.equal(rows[0]!.user_fullname, `'+62 812, "Pak" Budi\r\nbaris dua`)
    assert.equal(rows[0]!.payment_name, '')
    // The raw bytes: quotes doubled, the quote-prefixed cell wrapped in quotes.
    const raw = res.rawPayload.toString('utf8')
    assert.ok(raw.includes(`"'=HYPERLINK(""http://evil.test"",""klik"")"`))
    assert.ok(raw.includes(`"'+62 812, ""Pak"" Budi\r\nbaris dua"`))

    const b = (await csv(`/reports/transactions.csv?periode_id=${periodeB!.id}`, admin.auth)).rows
    const names = new Map(b.map((r) => [r.user_id, r.user_fullname]))
    assert.equal(names.get(String(minus.id)), "'-Dewi")
    assert.equal(names.get(String(at.id)), "'@Rahmat")
    assert.equal(names.get(String(tab.id)), "'\tTabitha")
    assert.equal(names.get(String(plain.id)), 'Siti Ümmü', 'UTF-8 survives')
    assert.equal(b.find((r) => r.id === String(own.id))!.amount, '999999999999.99')
  })

  test('filters: status (and pending), payment, user, date range; soft-deleted rows never appear', async () => {
    const ids = async (q: string) => (await csv(`/reports/transactions.csv?${q}`, admin.auth)).rows.map((r) => Number(r.id))
    const inRange = 'from=2035-02-01&to=2035-03-31'
    assert.deepEqual(await ids(`status=completed&${inRange}`), [own.id, tNasty.id])
    assert.equal((await ids(`status=pending&${inRange}`)).length, 4)
    assert.deepEqual(await ids(`payment_id=${bank!.id}`), [tNasty.id])
    assert.deepEqual(await ids(`user_id=${plain.id}`), [own.id])
    // Local dates: 2035-02-02 in Jakarta starts at 2035-02-01T17:00Z, so the 17:30Z deposit is inside.
    assert.deepEqual(await ids('from=2035-02-02&to=2035-02-02'), [tPlus.id, tNasty.id])
    assert.deepEqual(await ids('from=2035-02-01T17:31:00Z&to=2035-02-02T01:00:00Z'), [tPlus.id])
  })

  test('a member exports only what they own or reported', async () => {
    const { rows } = await csv('/reports/transactions.csv', asPlain)
    assert.deepEqual(
      rows.map((r) => Number(r.id)),
      [reported.id, own.id],
    )
    // Filtering on another member narrows, it never widens.
    const other = (await csv(`/reports/transactions.csv?user_id=${minus.id}`, asPlain)).rows
    assert.deepEqual(
      other.map((r) => Number(r.id)),
      [reported.id],
    )
    assert.equal((await csv(`/reports/transactions.csv?user_id=${nasty.id}`, asPlain)).rows.length, 0)
  })

  test('401 without a token; 422 for bad filters (in the JSON envelope)', async () => {
    const anon = await t.app.inject({ url: '/reports/transactions.csv' })
    assert.equal(anon.statusCode, 401)
    assert.equal(anon.json().code, 401)
    for (const q of ['status=paid', 'periode_id=abc', 'from=31-12-2035', 'to=2035-13-01', 'user_id=0']) {
      const res = await t.app.inject({ url: `/reports/transactions.csv?${q}`, headers: admin.auth })
      assert.equal(res.statusCode, 422, q)
      assert.match(String(res.headers['content-type']), /application\/json/)
      assert.equal(res.json().errors[0].field, q.split('=')[0])
    }
  })
})

describe('streaming 100,000 rows', () => {
  v8.setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void

  /** Insert `n` completed rows in one statement; triples share a timestamp (keyset ties), with microseconds. */
  async function bulk(n: number, periodeId: number, userId: number) {
    await db.execute(sql`
      INSERT INTO transactions (user_id, reported_by, amount, status, transaction_date, periode_id)
      SELECT ${userId}, ${userId}, ((i % 100000) + 1)::numeric + 0.25, 'completed',
        timestamptz '2040-01-01 00:00:00+00' + (i / 3) * interval '1 minute' + ((i / 3) % 5) * interval '1 microsecond',
        ${periodeId}
      FROM generate_series(1, ${n}) AS i`)
  }

  /**
   * Download over a real socket, consuming without keeping the body. Every ~1 MB received and every
   * 100 ms, a full GC runs and the live heap is sampled: garbage does not count, anything the server (or the
   * test) keeps does. The set of seen ids is the test's own and is subtracted.
   */
  async function download(url: string, auth: Record<string, string>) {
    const { port } = t.app.server.address() as AddressInfo
    gc()
    const base = process.memoryUsage().heapUsed
    let peak = base
    let lines = 0
    let bytes = 0
    let nextSample = 1 << 20
    let firstBytes = ''
    const ids = new Set<number>()
    let lastId = Number.POSITIVE_INFINITY
    let ordered = true
    let carry = ''
    const sample = () => {
      gc()
      peak = Math.max(peak, process.memoryUsage().heapUsed - ids.size * 16)
    }
    // Also on a timer: while the server is between database pages nothing reaches the client.
    const timer = setInterval(sample, 100)
    await new Promise<void>((resolve, reject) => {
      http
        .get(`http://127.0.0.1:${port}${url}`, { headers: auth }, (res) => {
          if (res.statusCode !== 200) {
            res.setEncoding('utf8')
            let body = ''
            res.on('data', (c: string) => (body += c))
            res.on('end', () => reject(new Error(`${url}: ${res.statusCode} ${body}`)))
            return
          }
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            if (!firstBytes) firstBytes = chunk.slice(0, 4)
            bytes += chunk.length
            const parts = (carry + chunk).split('\r\n')
            carry = parts.pop() ?? ''
            for (const line of parts) {
              lines++
              if (lines === 1) continue
              const id = Number(line.slice(0, line.indexOf(',')))
              if (id >= lastId) ordered = false
              lastId = id
              ids.add(id)
            }
            if (bytes >= nextSample) {
              nextSample += 1 << 20
              sample()
            }
          })
          res.on('end', resolve)
          res.on('error', reject)
        })
        .on('error', reject)
    }).finally(() => clearInterval(timer))
    assert.equal(carry, '')
    assert.ok(firstBytes.startsWith('\uFEFFid,'))
    return { rows: lines - 1, unique: ids.size, ordered, bytes, growth: peak - base }
  }

  test('exports 100k rows in full, in order, with heap growth independent of the row count', { timeout: 300_000 }, async () => {
    const owner = await createUser(t)
    const [small] = await db
      .insert(periodes)
      .values({ periodeName: unique('Small'), startDate: '2040-01-01', endDate: '2040-06-30' })
      .returning()
    const [big] = await db
      .insert(periodes)
      .values({ periodeName: unique('Big'), startDate: '2040-07-01', endDate: '2040-12-31' })
      .returning()
    await bulk(10_000, small!.id, owner.id)
    await bulk(100_000, big!.id, owner.id)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    // The bulk insert blocks the event loop (PGlite runs in-process) and under-pressure then answers
    // 503 until its next sample; wait for it to settle.
    for (let i = 0; i < 50 && (await t.app.inject({ url: '/health/live' })).statusCode !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200))
    }

    // Warm-up (JIT, first queries) so neither measured run pays for it.
    await download(`/reports/transactions.csv?periode_id=${small!.id}`, admin.auth)
    const tenK = await download(`/reports/transactions.csv?periode_id=${small!.id}`, admin.auth)
    const started = Date.now()
    const hundredK = await download(`/reports/transactions.csv?periode_id=${big!.id}`, admin.auth)
    const ms = Date.now() - started

    assert.equal(tenK.rows, 10_000)
    assert.equal(hundredK.rows, 100_000)
    assert.equal(hundredK.unique, 100_000, 'no row lost or repeated across batch boundaries (ties on the keyset)')
    assert.ok(hundredK.ordered, 'newest first throughout')
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1)
    console.log(
      `csv export: 10k rows live heap growth ${mb(tenK.growth)} MB; 100k rows (${mb(hundredK.bytes)} MB of CSV, ${ms} ms) live heap growth ${mb(hundredK.growth)} MB`,
    )
    // The file is ~16 MB: buffering it (or its rows) would keep at least that much alive by the end.
    // Streaming in batches of 1000 keeps the live heap flat: ten times the rows, about the same peak.
    assert.ok(hundredK.bytes > 12 * 1024 * 1024, 'the file is large enough for buffering to show')
    assert.ok(
      hundredK.growth < tenK.growth + 6 * 1024 * 1024 && hundredK.growth < 10 * 1024 * 1024,
      `live heap grew ${mb(hundredK.growth)} MB for 100k rows vs ${mb(tenK.growth)} MB for 10k`,
    )

    // A client that hangs up mid-file: the cursor's connection and transaction are given back
    // (PostgreSQL), and the next export works (both drivers).
    await new Promise<void>((resolve, reject) => {
      const { port } = t.app.server.address() as AddressInfo
      const req = http.get(`http://127.0.0.1:${port}/reports/transactions.csv?periode_id=${big!.id}`, { headers: admin.auth }, (res) => {
        res.once('data', () => {
          req.destroy()
          resolve()
        })
      })
      req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve() : reject(e)))
    })
    if (t.db.database.kind === 'pg') {
      let stuck = -1
      for (let i = 0; i < 50 && stuck !== 0; i++) {
        await new Promise((r) => setTimeout(r, 100))
        const res = (await db.execute(
          sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
        )) as unknown as { rows: { n: number }[] }
        stuck = res.rows[0]!.n
      }
      assert.equal(stuck, 0, 'no connection left idle in transaction after the client hung up')
    }
    assert.equal((await download(`/reports/transactions.csv?periode_id=${small!.id}`, admin.auth)).rows, 10_000)
  })
})
