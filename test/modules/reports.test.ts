/**
 * /reports/members, /reports/periodes, /reports/summary: access rules, figures, months in
 * APP_TIMEZONE, sorting, and a random-data consistency check against BigInt-cent sums in JS.
 * Data is inserted directly (the transactions module is tested on its own).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { sql } from 'drizzle-orm'
import { payments, periodes, transactions, users } from '../../src/db/schema.js'
import { build, createUser, login, type TestUser, unique, userWithToken } from '../helpers/app.js'

const t = await build()
const db = t.db.database.db

type Status = 'sent' | 'on_process' | 'completed' | 'rejected'

async function makePeriode(values: { start: string; end: string; target?: string | null; name?: string }) {
  const [row] = await db
    .insert(periodes)
    .values({
      periodeName: values.name ?? unique('Periode '),
      startDate: values.start,
      endDate: values.end,
      targetAmount: values.target ?? null,
    })
    .returning()
  return row!
}

async function makePayment(name = unique('Bank ')) {
  const [row] = await db.insert(payments).values({ paymentName: name, paymentType: 'bank' }).returning()
  return row!
}

async function addTx(v: {
  user: number
  amount: string
  status?: Status
  at: string
  periode?: number | null
  payment?: number | null
  reporter?: number
  deleted?: boolean
}) {
  const [row] = await db
    .insert(transactions)
    .values({
      userId: v.user,
      reportedBy: v.reporter ?? v.user,
      amount: v.amount,
      status: v.status ?? 'completed',
      transactionDate: new Date(v.at),
      periodeId: v.periode ?? null,
      paymentId: v.payment ?? null,
      deletedAt: v.deleted ? new Date() : null,
    })
    .returning()
  return row!
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
async function tokenOf(user: TestUser) {
  return bearer((await login(t, user)).access_token)
}

/** Local month (Asia/Jakarta) `offset` months from now, as YYYY-MM. */
function monthFromNow(offset: number): string {
  const [y, m] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Jakarta', year: 'numeric', month: '2-digit' })
    .format(new Date())
    .split('-')
    .map(Number)
  const d = new Date(Date.UTC(y!, m! - 1 + offset, 1))
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`
}

const admin = await userWithToken(t, 'admin')
const member = await userWithToken(t, 'member')
const other = await userWithToken(t, 'member')

describe('GET /reports/members/:id', () => {
  test('a member sees their own dashboard; months are local, contiguous and zero-filled', async () => {
    const m = await createUser(t)
    const auth = await tokenOf(m)
    const p1 = await makePeriode({ start: '2030-01-01', end: '2030-06-30', target: '500000.00' })
    const p2 = await makePeriode({ start: '2030-07-01', end: '2030-12-31' })
    const threeAgo = monthFromNow(-3)
    // 20:30 UTC on the last day of a month is already the 1st of the next month in Jakarta (UTC+7).
    const [y, mo] = monthFromNow(-4).split('-').map(Number)
    const lastDay = new Date(Date.UTC(y!, mo!, 0)).getUTCDate()
    const crossing = `${monthFromNow(-4)}-${String(lastDay).padStart(2, '0')}T20:30:00Z`
    await addTx({ user: m.id, amount: '100000.10', at: crossing, periode: p1.id })
    await addTx({ user: m.id, amount: '250000.25', at: `${threeAgo}-10T05:00:00Z`, periode: p1.id })
    await addTx({ user: m.id, amount: '150000.00', at: `${threeAgo}-12T05:00:00Z`, periode: p2.id })
    await addTx({ user: m.id, amount: '70000.00', status: 'sent', at: `${threeAgo}-13T05:00:00Z`, periode: p1.id })
    await addTx({ user: m.id, amount: '30000.00', status: 'on_process', at: `${threeAgo}-14T05:00:00Z`, periode: p2.id })
    await addTx({ user: m.id, amount: '99999.00', status: 'rejected', at: `${threeAgo}-15T05:00:00Z` })
    // Soft-deleted rows never count, whatever their status.
    await addTx({ user: m.id, amount: '777777.00', at: `${threeAgo}-16T05:00:00Z`, periode: p1.id, deleted: true })
    await addTx({ user: m.id, amount: '5000.00', status: 'sent', at: `${threeAgo}-16T05:00:00Z`, deleted: true })

    for (const id of ['me', String(m.id)]) {
      const res = await t.app.inject({ url: `/reports/members/${id}`, headers: auth })
      assert.equal(res.statusCode, 200, res.body)
      const d = res.json().data
      assert.deepEqual(d.user, { id: m.id, fullname: `Test ${m.username}`, username: m.username, is_active: true })
      assert.equal(d.total_saved, 500000.35)
      assert.equal(d.deposit_count, 3)
      assert.equal(d.average_deposit, 166666.78) // 500000.35 / 3 = 166666.7833… rounded in SQL
      assert.equal(d.pending_amount, 100000)
      assert.equal(d.pending_count, 2)
      assert.equal(d.rejected_count, 1)
      assert.equal(d.first_deposit_date, `${monthFromNow(-3)}-01`)
      assert.equal(d.last_deposit_date, `${threeAgo}-12`)
      assert.deepEqual(d.monthly, [
        { month: monthFromNow(-3), total: 500000.35, count: 3 },
        { month: monthFromNow(-2), total: 0, count: 0 },
        { month: monthFromNow(-1), total: 0, count: 0 },
        { month: monthFromNow(0), total: 0, count: 0 },
      ])
      const rp1 = d.periodes.find((p: { periode_id: number }) => p.periode_id === p1.id)
      assert.deepEqual(
        { c: rp1.completed_amount, n: rp1.completed_count, p: rp1.pending_amount, r: rp1.remaining, ok: rp1.reached_target },
        { c: 350000.35, n: 2, p: 70000, r: 149999.65, ok: false },
      )
      const rp2 = d.periodes.find((p: { periode_id: number }) => p.periode_id === p2.id)
      assert.equal(rp2.completed_amount, 150000)
      assert.equal(rp2.target_amount, null)
      assert.equal(rp2.reached_target, null)
      assert.equal(d.savings_target, null)
    }
  })

  test('savings target: progress and a projected completion month from the average monthly saving', async () => {
    const m = await createUser(t)
    await db.update(users).set({ savingsTarget: '1000000.00' }).where(sql`id = ${m.id}`)
    // 4 months counted (3 ago .. current), 400,000 saved -> 100,000/month, 600,000 left -> 6 months.
    await addTx({ user: m.id, amount: '400000.00', at: `${monthFromNow(-3)}-05T05:00:00Z` })
    const res = await t.app.inject({ url: `/reports/members/${m.id}`, headers: admin.auth })
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json().data.savings_target, {
      target: 1000000,
      saved: 400000,
      remaining: 600000,
      progress_percent: 40,
      reached: false,
      average_monthly: 100000,
      months_to_target: 6,
      projected_completion_month: monthFromNow(6),
    })

    // Once reached: remaining 0, and the month is the one in which the running total crossed it.
    await addTx({ user: m.id, amount: '700000.00', at: `${monthFromNow(-1)}-05T05:00:00Z` })
    const reached = (await t.app.inject({ url: `/reports/members/${m.id}`, headers: admin.auth })).json().data.savings_target
    assert.equal(reached.reached, true)
    assert.equal(reached.remaining, 0)
    assert.equal(reached.progress_percent, 100)
    assert.equal(reached.months_to_target, 0)
    assert.equal(reached.projected_completion_month, monthFromNow(-1))
  })

  test('a member without deposits gets zeros and an empty month series', async () => {
    const res = await t.app.inject({ url: '/reports/members/me', headers: other.auth })
    assert.equal(res.statusCode, 200)
    const d = res.json().data
    assert.equal(d.total_saved, 0)
    assert.equal(d.average_deposit, null)
    assert.equal(d.first_deposit_date, null)
    assert.deepEqual(d.monthly, [])
  })

  test('another member, or an unknown id, is 404; a bad id is 422; no token is 401', async () => {
    const res = await t.app.inject({ url: `/reports/members/${member.user.id}`, headers: other.auth })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().data, null)
    assert.equal((await t.app.inject({ url: '/reports/members/999999', headers: admin.auth })).statusCode, 404)
    assert.equal((await t.app.inject({ url: '/reports/members/9999999999', headers: admin.auth })).statusCode, 404)
    const bad = await t.app.inject({ url: '/reports/members/abc', headers: admin.auth })
    assert.equal(bad.statusCode, 422)
    assert.equal(bad.json().errors[0].field, 'id')
    const anon = await t.app.inject({ url: '/reports/members/me' })
    assert.equal(anon.statusCode, 401)
    assert.match(String(anon.headers['www-authenticate']), /^Bearer realm="talangraga"$/)
    // Admins read anyone's report (trailing slash accepted).
    assert.equal((await t.app.inject({ url: `/reports/members/${member.user.id}/`, headers: admin.auth })).statusCode, 200)
  })
})

describe('GET /reports/periodes/:id', () => {
  test('every active member with totals, reached_target, sorting and unpaid first', async () => {
    const p = await makePeriode({ start: '2031-01-01', end: '2031-12-31', target: '300000.00' })
    const a = await createUser(t, { fullname: 'Aisyah Report' })
    const b = await createUser(t, { fullname: 'Bilal Report' })
    const c = await createUser(t, { fullname: 'Citra Report' })
    const gone = await createUser(t, { fullname: 'Zaid Inactive', active: false })
    await addTx({ user: a.id, amount: '300000.00', at: '2031-02-01T03:00:00Z', periode: p.id })
    await addTx({ user: b.id, amount: '100000.50', at: '2031-02-01T03:00:00Z', periode: p.id })
    await addTx({ user: b.id, amount: '50000.00', status: 'sent', at: '2031-02-02T03:00:00Z', periode: p.id })
    await addTx({ user: c.id, amount: '90000.00', status: 'rejected', at: '2031-02-02T03:00:00Z', periode: p.id })
    await addTx({ user: c.id, amount: '90000.00', at: '2031-02-02T03:00:00Z', periode: p.id, deleted: true })
    // A deactivated member who paid is still listed: the rows must add up to the periode's totals.
    await addTx({ user: gone.id, amount: '20000.00', at: '2031-03-01T03:00:00Z', periode: p.id })

    const res = await t.app.inject({ url: `/reports/periodes/${p.id}`, headers: admin.auth })
    assert.equal(res.statusCode, 200, res.body)
    const d = res.json().data
    assert.deepEqual(d.periode, {
      id: p.id,
      periode_name: p.periodeName,
      start_date: '2031-01-01',
      end_date: '2031-12-31',
      target_amount: 300000,
    })
    const ids = d.members.map((m: { user_id: number }) => m.user_id)
    for (const u of [a, b, c, gone, member.user, other.user]) assert.ok(ids.includes(u.id), `member ${u.id} listed`)
    assert.ok(!ids.includes(admin.user.id), 'admins without deposits are not members of the report')
    const byId = new Map(d.members.map((m: { user_id: number }) => [m.user_id, m]))
    assert.deepEqual(byId.get(a.id), {
      user_id: a.id,
      fullname: 'Aisyah Report',
      username: a.username,
      is_active: true,
      completed_amount: 300000,
      completed_count: 1,
      pending_amount: 0,
      pending_count: 0,
      has_paid: true,
      reached_target: true,
      last_deposit_date: '2031-02-01',
    })
    assert.equal((byId.get(b.id) as { reached_target: boolean }).reached_target, false)
    assert.equal((byId.get(b.id) as { pending_amount: number }).pending_amount, 50000)
    assert.equal((byId.get(c.id) as { has_paid: boolean }).has_paid, false)
    assert.equal((byId.get(gone.id) as { is_active: boolean }).is_active, false)
    assert.equal(d.totals.completed_amount, 420000.5)
    assert.equal(d.totals.pending_amount, 50000)
    assert.equal(d.totals.rejected_amount, 90000)
    assert.equal(d.totals.rejected_count, 1)
    assert.equal(d.totals.member_count, d.members.length)
    assert.equal(d.totals.members_paid, 3)
    assert.equal(d.totals.members_reached_target, 1)

    const names = (body: { data: { members: { fullname: string }[] } }) => body.data.members.map((m) => m.fullname)
    const byName = names((await t.app.inject({ url: `/reports/periodes/${p.id}?sort=name&order=desc`, headers: admin.auth })).json())
    assert.deepEqual(
      byName,
      [...byName].sort((x, y) => y.toLowerCase().localeCompare(x.toLowerCase())),
    )
    const byAmount = (await t.app.inject({ url: `/reports/periodes/${p.id}?sort=amount&order=desc`, headers: admin.auth })).json().data
      .members
    assert.deepEqual(
      byAmount.slice(0, 3).map((m: { user_id: number }) => m.user_id),
      [a.id, b.id, gone.id],
    )
    const unpaid = (
      await t.app.inject({ url: `/reports/periodes/${p.id}?sort=amount&order=desc&unpaid_first=true`, headers: admin.auth })
    ).json().data.members
    const firstPaid = unpaid.findIndex((m: { has_paid: boolean }) => m.has_paid)
    assert.ok(firstPaid > 0 && unpaid.slice(firstPaid).every((m: { has_paid: boolean }) => m.has_paid), 'unpaid members come first')
    assert.deepEqual(
      unpaid.slice(firstPaid).map((m: { user_id: number }) => m.user_id),
      [a.id, b.id, gone.id],
    )
  })

  test('no target: reached_target is null', async () => {
    const p = await makePeriode({ start: '2032-01-01', end: '2032-12-31' })
    const d = (await t.app.inject({ url: `/reports/periodes/${p.id}`, headers: admin.auth })).json().data
    assert.equal(d.periode.target_amount, null)
    assert.equal(d.totals.members_reached_target, null)
    assert.ok(d.members.every((m: { reached_target: null }) => m.reached_target === null))
  })

  test('401 without token, 403 for members, 404 unknown periode, 422 bad id or sort', async () => {
    const p = await makePeriode({ start: '2033-01-01', end: '2033-12-31' })
    assert.equal((await t.app.inject({ url: `/reports/periodes/${p.id}` })).statusCode, 401)
    const forbidden = await t.app.inject({ url: `/reports/periodes/${p.id}`, headers: member.auth })
    assert.equal(forbidden.statusCode, 403)
    assert.equal(forbidden.json().code, 403)
    assert.equal((await t.app.inject({ url: '/reports/periodes/987654', headers: admin.auth })).statusCode, 404)
    assert.equal((await t.app.inject({ url: '/reports/periodes/x', headers: admin.auth })).statusCode, 422)
    const bad = await t.app.inject({ url: `/reports/periodes/${p.id}?sort=salary`, headers: admin.auth })
    assert.equal(bad.statusCode, 422)
    assert.equal(bad.json().errors[0].field, 'sort')
    assert.equal((await t.app.inject({ url: `/reports/periodes/${p.id}?unpaid_first=maybe`, headers: admin.auth })).statusCode, 422)
  })
})

describe('GET /reports/summary', () => {
  test('admin sees everyone, a member only what they own; by status, periode and payment; date range', async () => {
    const p = await makePeriode({ start: '2034-01-01', end: '2034-12-31' })
    const bank = await makePayment()
    const m1 = await createUser(t)
    const m2 = await createUser(t)
    // m2 reports a deposit for m1: it is m1's money, so it is in m1's summary, not m2's.
    await addTx({ user: m1.id, reporter: m2.id, amount: '1000.01', at: '2034-03-01T10:00:00Z', periode: p.id, payment: bank.id })
    await addTx({ user: m1.id, amount: '2000.02', status: 'sent', at: '2034-03-02T10:00:00Z', periode: p.id, payment: bank.id })
    await addTx({ user: m2.id, amount: '3000.03', status: 'rejected', at: '2034-03-03T10:00:00Z', periode: p.id })
    await addTx({ user: m2.id, amount: '4000.04', status: 'on_process', at: '2034-03-31T18:00:00Z' }) // 1 April in Jakarta
    await addTx({ user: m2.id, amount: '5000.05', at: '2034-03-04T10:00:00Z', deleted: true })

    const range = 'from=2034-03-01&to=2034-03-31'
    const all = await t.app.inject({ url: `/reports/summary?${range}`, headers: admin.auth })
    assert.equal(all.statusCode, 200, all.body)
    const d = all.json().data
    assert.equal(d.scope, 'all')
    // The 31 March 18:00Z deposit is 1 April local: outside a local-date range ending 31 March.
    assert.deepEqual(d.totals, {
      completed_amount: 1000.01,
      completed_count: 1,
      pending_amount: 2000.02,
      pending_count: 1,
      rejected_amount: 3000.03,
      rejected_count: 1,
      transaction_count: 3,
      member_count: 2,
    })
    assert.deepEqual(
      d.by_status.map((s: { status: string; count: number; amount: number }) => [s.status, s.count, s.amount]),
      [
        ['sent', 1, 2000.02],
        ['on_process', 0, 0],
        ['completed', 1, 1000.01],
        ['rejected', 1, 3000.03],
        ['needs_correction', 0, 0],
      ],
    )
    assert.deepEqual(
      d.by_periode.map((x: { periode_id: number; transaction_count: number }) => [x.periode_id, x.transaction_count]),
      [[p.id, 3]],
    )
    const byBank = d.by_payment.find((x: { payment_id: number | null }) => x.payment_id === bank.id)
    assert.equal(byBank.payment_name, bank.paymentName)
    assert.equal(byBank.completed_amount, 1000.01)
    assert.equal(byBank.pending_amount, 2000.02)
    assert.equal(d.by_payment.find((x: { payment_id: number | null }) => x.payment_id === null).rejected_amount, 3000.03)

    // An instant with an offset is taken as given: now the April-local deposit is inside.
    const wide = (
      await t.app.inject({ url: '/reports/summary?from=2034-03-01T00:00:00%2B07:00&to=2034-04-01 23:59', headers: admin.auth })
    ).json().data
    assert.equal(wide.totals.pending_amount, 6000.06)

    const own = (await t.app.inject({ url: `/reports/summary?${range}`, headers: await tokenOf(m1) })).json().data
    assert.equal(own.scope, 'own')
    assert.equal(own.totals.transaction_count, 2)
    assert.equal(own.totals.completed_amount, 1000.01)
    assert.equal(own.totals.member_count, 1)
    const own2 = (await t.app.inject({ url: `/reports/summary?${range}`, headers: await tokenOf(m2) })).json().data
    assert.equal(own2.totals.transaction_count, 1)
    assert.equal(own2.totals.completed_amount, 0)
    assert.equal(own2.totals.rejected_amount, 3000.03)
  })

  test('401 without token; 422 for a malformed or impossible date', async () => {
    assert.equal((await t.app.inject({ url: '/reports/summary' })).statusCode, 401)
    for (const q of ['from=yesterday', 'to=2034-02-30', 'from=2034-01-01T25:00']) {
      const res = await t.app.inject({ url: `/reports/summary?${q}`, headers: admin.auth })
      assert.equal(res.statusCode, 422, q)
      assert.equal(res.json().errors[0].field, q.split('=')[0])
    }
    const twice = await t.app.inject({ url: '/reports/summary?from=2034-01-01&from=2034-02-01', headers: admin.auth })
    assert.equal(twice.statusCode, 422)
  })
})

describe('consistency with random data', () => {
  /** Exact cents of a NUMERIC(15,2) string. */
  const cents = (s: string) => {
    const [w, f = ''] = s.split('.')
    return BigInt(w!) * 100n + BigInt(f.padEnd(2, '0'))
  }
  /** Exact cents of a JSON amount (at most 2 decimals, far below 2^53 cents). */
  const jsonCents = (n: number) => BigInt(Math.round(n * 100))

  test('report totals equal BigInt sums over the inserted rows', async () => {
    let seed = 20260101
    const rand = () => {
      // mulberry32: reproducible random data, so a failure can be replayed.
      seed = (seed + 0x6d2b79f5) | 0
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296
    }
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)] as T
    const ps = [
      await makePeriode({ start: '2019-01-01', end: '2019-06-30', target: '2500000.00' }),
      await makePeriode({ start: '2019-07-01', end: '2019-12-31', target: null }),
    ]
    const pays = [await makePayment(), await makePayment()]
    const people = await Promise.all(Array.from({ length: 12 }, () => createUser(t)))
    const statuses: Status[] = ['sent', 'on_process', 'completed', 'rejected']
    const rowsIn: { user: number; amount: string; status: Status; periode: number | null; payment: number | null; deleted: boolean }[] = []
    const values = []
    for (let i = 0; i < 600; i++) {
      // Amounts up to 10^11 with random cents: float sums of these would drift; NUMERIC must not.
      const whole = Math.floor(rand() * (rand() < 0.1 ? 1e11 : 5e6)) + 1
      const amount = `${whole}.${String(Math.floor(rand() * 100)).padStart(2, '0')}`
      const r = {
        user: pick(people).id,
        amount,
        status: pick(statuses),
        periode: rand() < 0.1 ? null : pick(ps).id,
        payment: rand() < 0.2 ? null : pick(pays).id,
        deleted: rand() < 0.1,
      }
      rowsIn.push(r)
      const day = new Date(Date.UTC(2019, 0, 1) + Math.floor(rand() * 364 * 86400) * 1000)
      values.push({
        userId: r.user,
        reportedBy: r.user,
        amount: r.amount,
        status: r.status,
        transactionDate: day,
        periodeId: r.periode,
        paymentId: r.payment,
        deletedAt: r.deleted ? new Date() : null,
      })
    }
    await db.insert(transactions).values(values)
    const live = rowsIn.filter((r) => !r.deleted)
    const sum = (xs: typeof live) => xs.reduce((acc, r) => acc + cents(r.amount), 0n)
    const isPending = (r: { status: Status }) => r.status === 'sent' || r.status === 'on_process'

    // Summary over 2019 (no other test writes there).
    const s = (await t.app.inject({ url: '/reports/summary?from=2019-01-01&to=2019-12-31', headers: admin.auth })).json().data
    assert.equal(jsonCents(s.totals.completed_amount), sum(live.filter((r) => r.status === 'completed')))
    assert.equal(jsonCents(s.totals.pending_amount), sum(live.filter(isPending)))
    assert.equal(jsonCents(s.totals.rejected_amount), sum(live.filter((r) => r.status === 'rejected')))
    assert.equal(s.totals.transaction_count, live.length)
    for (const st of s.by_status) assert.equal(jsonCents(st.amount), sum(live.filter((r) => r.status === st.status)), st.status)
    for (const bp of s.by_periode) {
      const xs = live.filter((r) => r.periode === bp.periode_id)
      assert.equal(bp.transaction_count, xs.length)
      assert.equal(jsonCents(bp.completed_amount), sum(xs.filter((r) => r.status === 'completed')))
      assert.equal(jsonCents(bp.pending_amount), sum(xs.filter(isPending)))
    }
    for (const bp of s.by_payment) {
      const xs = live.filter((r) => r.payment === bp.payment_id)
      assert.equal(jsonCents(bp.completed_amount), sum(xs.filter((r) => r.status === 'completed')))
      assert.equal(jsonCents(bp.rejected_amount), sum(xs.filter((r) => r.status === 'rejected')))
    }

    // Periode reports: per member and in total.
    for (const p of ps) {
      const d = (await t.app.inject({ url: `/reports/periodes/${p.id}?sort=amount`, headers: admin.auth })).json().data
      const xs = live.filter((r) => r.periode === p.id)
      assert.equal(jsonCents(d.totals.completed_amount), sum(xs.filter((r) => r.status === 'completed')))
      assert.equal(jsonCents(d.totals.pending_amount), sum(xs.filter(isPending)))
      let bySum = 0n
      for (const person of people) {
        const row = d.members.find((m: { user_id: number }) => m.user_id === person.id)
        const mine = xs.filter((r) => r.user === person.id)
        const done = sum(mine.filter((r) => r.status === 'completed'))
        assert.equal(jsonCents(row.completed_amount), done)
        assert.equal(jsonCents(row.pending_amount), sum(mine.filter(isPending)))
        assert.equal(row.reached_target, p.targetAmount === null ? null : done >= cents(p.targetAmount))
        bySum += jsonCents(row.completed_amount)
      }
      assert.equal(bySum, jsonCents(d.totals.completed_amount), 'member rows add up to the periode total')
    }

    // Member dashboards.
    for (const person of people) {
      const d = (await t.app.inject({ url: `/reports/members/${person.id}`, headers: admin.auth })).json().data
      const mine = live.filter((r) => r.user === person.id)
      const done = mine.filter((r) => r.status === 'completed')
      assert.equal(jsonCents(d.total_saved), sum(done))
      assert.equal(d.deposit_count, done.length)
      assert.equal(jsonCents(d.pending_amount), sum(mine.filter(isPending)))
      assert.equal(d.pending_count, mine.filter(isPending).length)
      assert.equal(d.rejected_count, mine.filter((r) => r.status === 'rejected').length)
      assert.equal(
        d.monthly.reduce((acc: bigint, m: { total: number }) => acc + jsonCents(m.total), 0n),
        sum(done),
      )
      if (done.length) {
        // Average rounded half-up to the cent, computed here in integer arithmetic.
        const total = sum(done) * 2n
        const n = BigInt(done.length)
        assert.equal(jsonCents(d.average_deposit), (total / n + 1n) / 2n)
      }
    }
  })
})

test('the OpenAPI document describes every report route with its response schemas', async () => {
  const doc = (await t.app.inject({ url: '/openapi.json' })).json()
  for (const path of ['/reports/members/{id}', '/reports/periodes/{id}', '/reports/summary', '/reports/transactions.csv']) {
    const op = doc.paths[path]?.get
    assert.ok(op, path)
    assert.ok(op.responses['200'] && op.responses['401'], path)
  }
  assert.ok(doc.paths['/reports/transactions.csv'].get.responses['200'].content['text/csv'])
  assert.ok(doc.paths['/reports/periodes/{id}'].get.responses['403'])
})
