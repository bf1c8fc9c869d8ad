import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eq } from 'drizzle-orm'
import { auditLog, periodes, transactions } from '../../src/db/schema.js'
import { assertNoSecrets, build, unique, userWithToken } from '../helpers/app.js'

const t = await build()
const admin = await userWithToken(t, 'admin')
const member = await userWithToken(t, 'member')

/** Periodes are global and must not overlap, so each test takes its own far-apart year. */
let year = 2100
const nextYear = () => year++

async function createPeriode(body: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/periodes', headers: admin.auth, payload: body })
}

async function makePeriode(y = nextYear(), extra: Record<string, unknown> = {}) {
  const res = await createPeriode({ periode_name: unique(`P${y}-`), start_date: `${y}-01-01`, end_date: `${y}-12-31`, ...extra })
  assert.equal(res.statusCode, 201, res.body)
  return res.json().data as { id: number; periode_name: string; start_date: string; end_date: string; target_amount: number | null }
}

test('admin creates a periode; JSON has the client fields with exact money', async () => {
  const y = nextYear()
  const res = await createPeriode({
    periode_name: `Umroh ${y}`,
    start_date: `${y}-01-01`,
    end_date: `${y}-06-30`,
    target_amount: '35000000.50',
  })
  assert.equal(res.statusCode, 201, res.body)
  const body = res.json()
  assert.equal(body.code, 201)
  assert.deepEqual(Object.keys(body.data).sort(), ['created_at', 'end_date', 'id', 'periode_name', 'start_date', 'target_amount'])
  assert.equal(body.data.start_date, `${y}-01-01`)
  assert.equal(body.data.end_date, `${y}-06-30`)
  assert.equal(body.data.target_amount, 35000000.5)
  const [row] = await t.db.database.db.select().from(periodes).where(eq(periodes.id, body.data.id))
  assert.equal(row?.targetAmount, '35000000.50')
  assertNoSecrets(res)
})

test('list is ordered by start_date, readable by members, filter active_on, trailing slash', async () => {
  const later = await makePeriode(nextYear() + 500)
  const earlier = await makePeriode()
  const res = await t.app.inject({ url: '/periodes/', headers: member.auth })
  assert.equal(res.statusCode, 200)
  const list = res.json().data as { id: number; start_date: string }[]
  assert.ok(Array.isArray(list))
  const sorted = [...list].sort((a, b) => a.start_date.localeCompare(b.start_date))
  assert.deepEqual(
    list.map((p) => p.id),
    sorted.map((p) => p.id),
  )
  assert.ok(list.findIndex((p) => p.id === earlier.id) < list.findIndex((p) => p.id === later.id))
  assert.equal(res.json().meta.total, list.length)

  const y = earlier.start_date.slice(0, 4)
  for (const day of [`${y}-01-01`, `${y}-07-15`, `${y}-12-31`]) {
    const on = await t.app.inject({ url: `/periodes?active_on=${day}`, headers: member.auth })
    assert.equal(on.statusCode, 200)
    assert.deepEqual(
      on.json().data.map((p: { id: number }) => p.id),
      [earlier.id],
      day,
    )
  }
  const none = await t.app.inject({ url: `/periodes?active_on=1999-03-01`, headers: member.auth })
  assert.deepEqual(none.json().data, [])
  const bad = await t.app.inject({ url: '/periodes?active_on=2024-02-30', headers: member.auth })
  assert.equal(bad.statusCode, 422)
  assert.equal(bad.json().errors[0].field, 'active_on')
})

test('GET /periodes/{id}: found and 404', async () => {
  const p = await makePeriode()
  const res = await t.app.inject({ url: `/periodes/${p.id}`, headers: member.auth })
  assert.equal(res.statusCode, 200)
  assert.equal(res.json().data.periode_name, p.periode_name)
  const missing = await t.app.inject({ url: '/periodes/999999', headers: member.auth })
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.json().code, 404)
})

test('401 without a token; 403 for a member on admin routes', async () => {
  const p = await makePeriode()
  const anon = await t.app.inject({ url: '/periodes' })
  assert.equal(anon.statusCode, 401)
  assert.match(String(anon.headers['www-authenticate']), /^Bearer realm="talangraga"$/)
  const y = nextYear()
  const body = { periode_name: unique('M'), start_date: `${y}-01-01`, end_date: `${y}-02-01` }
  for (const [method, url, payload] of [
    ['POST', '/periodes', body],
    ['PUT', `/periodes/${p.id}`, { periode_name: 'hijack' }],
    ['DELETE', `/periodes/${p.id}`, undefined],
  ] as const) {
    const res = await t.app.inject({ method, url, headers: member.auth, ...(payload ? { payload } : {}) })
    assert.equal(res.statusCode, 403, `${method} ${url}`)
    const anonRes = await t.app.inject({ method, url, ...(payload ? { payload } : {}) })
    assert.equal(anonRes.statusCode, 401, `${method} ${url}`)
  }
  const still = await t.app.inject({ url: `/periodes/${p.id}`, headers: admin.auth })
  assert.equal(still.json().data.periode_name, p.periode_name)
})

test('422: start not before end, bad dates, missing fields, bad amounts', async () => {
  const y = nextYear()
  const cases: Record<string, unknown>[] = [
    { periode_name: unique('X'), start_date: `${y}-05-01`, end_date: `${y}-05-01` },
    { periode_name: unique('X'), start_date: `${y}-05-02`, end_date: `${y}-05-01` },
    { periode_name: unique('X'), start_date: `${y}-13-01`, end_date: `${y}-12-01` },
    { periode_name: unique('X'), start_date: `${y}-01-01` },
    { periode_name: '   ', start_date: `${y}-01-01`, end_date: `${y}-02-01` },
    { periode_name: unique('X'), start_date: `${y}-01-01`, end_date: `${y}-02-01`, target_amount: '10.999' },
    { periode_name: unique('X'), start_date: `${y}-01-01`, end_date: `${y}-02-01`, target_amount: 0 },
    { periode_name: unique('X'), start_date: `${y}-01-01`, end_date: `${y}-02-01`, target_amount: '1000000000000.01' },
  ]
  for (const payload of cases) {
    const res = await createPeriode(payload)
    assert.equal(res.statusCode, 422, JSON.stringify(payload))
    assert.equal(res.json().data, null)
    assert.ok(Array.isArray(res.json().errors) && res.json().errors.length > 0)
    assert.notEqual(res.json().message, 'Validation error')
  }
})

test('409: duplicate name (case-insensitive) and overlapping dates, also touching on one day', async () => {
  const p = await makePeriode()
  const y = Number(p.start_date.slice(0, 4))
  const dup = await createPeriode({
    periode_name: p.periode_name.toUpperCase(),
    start_date: `${y + 50}-01-01`,
    end_date: `${y + 50}-02-01`,
  })
  assert.equal(dup.statusCode, 409)
  for (const [start, end] of [
    [`${y}-03-01`, `${y}-04-01`],
    [`${y - 1}-06-01`, `${y}-01-01`],
    [`${y}-12-31`, `${y + 1}-02-01`],
    [`${y - 1}-01-01`, `${y + 1}-12-31`],
  ]) {
    const res = await createPeriode({ periode_name: unique('O'), start_date: start, end_date: end })
    assert.equal(res.statusCode, 409, `${start}..${end}`)
    assert.match(res.json().message, /overlap/)
  }
})

test('concurrent overlapping creates: exactly one wins', async () => {
  const y = nextYear()
  const results = await Promise.all(
    [0, 1, 2, 3].map((i) => createPeriode({ periode_name: unique(`C${i}`), start_date: `${y}-01-0${i + 1}`, end_date: `${y}-03-01` })),
  )
  const codes = results.map((r) => r.statusCode).sort()
  assert.deepEqual(codes, [201, 409, 409, 409])
})

test('PUT is partial and re-checks every rule', async () => {
  const a = await makePeriode()
  const b = await makePeriode()
  const rename = await t.app.inject({
    method: 'PUT',
    url: `/periodes/${a.id}`,
    headers: admin.auth,
    payload: { periode_name: 'Renamed' + a.id },
  })
  assert.equal(rename.statusCode, 200, rename.body)
  assert.equal(rename.json().data.periode_name, `Renamed${a.id}`)
  assert.equal(rename.json().data.start_date, a.start_date)

  const target = await t.app.inject({ method: 'PUT', url: `/periodes/${a.id}`, headers: admin.auth, payload: { target_amount: 1500000 } })
  assert.equal(target.json().data.target_amount, 1500000)
  const cleared = await t.app.inject({ method: 'PUT', url: `/periodes/${a.id}`, headers: admin.auth, payload: { target_amount: null } })
  assert.equal(cleared.json().data.target_amount, null)

  // Only end_date given, before the existing start: 422.
  const backwards = await t.app.inject({
    method: 'PUT',
    url: `/periodes/${a.id}`,
    headers: admin.auth,
    payload: { end_date: `${Number(a.start_date.slice(0, 4)) - 1}-01-01` },
  })
  assert.equal(backwards.statusCode, 422)
  // Moving into b's dates: 409; taking b's name: 409.
  const overlap = await t.app.inject({ method: 'PUT', url: `/periodes/${a.id}`, headers: admin.auth, payload: { end_date: b.start_date } })
  assert.equal(overlap.statusCode, 409)
  const name = await t.app.inject({
    method: 'PUT',
    url: `/periodes/${a.id}`,
    headers: admin.auth,
    payload: { periode_name: b.periode_name.toLowerCase() },
  })
  assert.equal(name.statusCode, 409)
  // Its own dates and name again are fine (it does not overlap itself).
  const same = await t.app.inject({
    method: 'PUT',
    url: `/periodes/${a.id}`,
    headers: admin.auth,
    payload: { periode_name: `renamed${a.id}`, start_date: a.start_date, end_date: a.end_date },
  })
  assert.equal(same.statusCode, 200, same.body)
  const missing = await t.app.inject({ method: 'PUT', url: '/periodes/999999', headers: admin.auth, payload: { periode_name: 'x' } })
  assert.equal(missing.statusCode, 404)
})

test('DELETE: removed when unused, 409 with transactions, 404 when missing', async () => {
  const unused = await makePeriode()
  const del = await t.app.inject({ method: 'DELETE', url: `/periodes/${unused.id}`, headers: admin.auth })
  assert.equal(del.statusCode, 200)
  assert.equal((await t.db.database.db.select().from(periodes).where(eq(periodes.id, unused.id))).length, 0)
  const audit = await t.db.database.db.select().from(auditLog).where(eq(auditLog.entityId, unused.id))
  assert.ok(audit.some((a) => a.action === 'periode.deleted'))

  const used = await makePeriode()
  await t.db.database.db.insert(transactions).values({
    amount: '100.00',
    transactionDate: new Date(),
    userId: member.user.id,
    reportedBy: member.user.id,
    periodeId: used.id,
  })
  const refused = await t.app.inject({ method: 'DELETE', url: `/periodes/${used.id}`, headers: admin.auth })
  assert.equal(refused.statusCode, 409)
  assert.equal((await t.db.database.db.select().from(periodes).where(eq(periodes.id, used.id))).length, 1)

  const missing = await t.app.inject({ method: 'DELETE', url: `/periodes/${unused.id}`, headers: admin.auth })
  assert.equal(missing.statusCode, 404)
})
