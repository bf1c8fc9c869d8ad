/**
 * Hostile bodies are the client's fault, never a 500: malformed multipart is a 400 on every route
 * that accepts a body, and a NUL character in any text input is a 422 naming the field (PostgreSQL
 * cannot store it).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { InjectOptions } from 'fastify'
import { build, userWithToken } from '../helpers/app.js'

const t = await build()
const admin = await userWithToken(t, 'admin')
const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
  paths: Record<string, Record<string, { requestBody?: unknown }>>
}

/** Every (method, url) of the document that takes a body, with path ids filled in. */
const bodyRoutes = Object.entries(doc.paths).flatMap(([p, ops]) =>
  Object.entries(ops)
    .filter(([, op]) => op.requestBody !== undefined)
    .map(([method, _]) => ({ method: method.toUpperCase() as 'POST', url: p.replace(/\{[^}]+\}/g, '1') })),
)

const MALFORMED: Array<[string, string, string]> = [
  ['no boundary', 'multipart/form-data', '--x\r\n'],
  ['empty boundary', 'multipart/form-data; boundary=', '--\r\n'],
  ['over-long boundary', `multipart/form-data; boundary=${'b'.repeat(300)}`, '--b\r\n'],
  ['unterminated field', 'multipart/form-data; boundary=XX', '--XX\r\nContent-Disposition: form-data; name="fullname"\r\n\r\nSiti'],
  [
    'unterminated file',
    'multipart/form-data; boundary=XX',
    '--XX\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff',
  ],
]

test('malformed multipart is a 400 in the envelope on every route that accepts a body', async () => {
  assert.ok(bodyRoutes.length >= 10, `${bodyRoutes.length} routes with bodies`)
  for (const route of bodyRoutes) {
    for (const [label, type, body] of MALFORMED) {
      const res = await t.app.inject({ ...route, headers: { ...admin.auth, 'content-type': type }, payload: body })
      const what = `${route.method} ${route.url} ${label}: ${res.body}`
      assert.equal(res.statusCode, 400, what)
      assert.equal(res.json().code, 400, what)
      assert.equal(res.json().data, null, what)
      assert.match(res.json().message, /multipart/i, what)
    }
  }
})

const nul = (s: string) => `${s}\u0000x`

test('a NUL character in any text input is a 422 naming the field', async () => {
  const cases: Array<{ name: string; req: InjectOptions; field: string }> = [
    {
      name: 'login identifier',
      req: { method: 'POST', url: '/auth/login', payload: { identifier: nul('siti'), password: 'x' } },
      field: 'identifier',
    },
    {
      name: 'login password',
      req: { method: 'POST', url: '/auth/login', payload: { identifier: 'siti', password: nul('p') } },
      field: 'password',
    },
    {
      name: 'register name',
      req: {
        method: 'POST',
        url: '/auth/register',
        payload: { fullname: nul('Siti'), username: 'siti', email: 's@example.test', password: 'Kurma-Madinah-2026!' },
      },
      field: 'fullname',
    },
    {
      name: 'register name (form)',
      req: {
        method: 'POST',
        url: '/auth/register',
        headers: { 'content-type': 'multipart/form-data; boundary=XX' },
        payload: `--XX\r\nContent-Disposition: form-data; name="fullname"\r\n\r\n${nul('Siti')}\r\n--XX--\r\n`,
      },
      field: 'fullname',
    },
    { name: 'search q', req: { method: 'GET', url: `/users?q=${encodeURIComponent(nul('siti'))}`, headers: admin.auth }, field: 'q' },
    { name: 'forgot email', req: { method: 'POST', url: '/auth/forgot-password', payload: { email: nul('a@b.test') } }, field: 'email' },
    {
      name: 'periode name',
      req: {
        method: 'POST',
        url: '/periodes',
        headers: admin.auth,
        payload: { periode_name: nul('Periode'), start_date: '2026-01-01', end_date: '2026-01-31' },
      },
      field: 'periode_name',
    },
    {
      name: 'transaction date',
      req: {
        method: 'POST',
        url: '/transactions',
        headers: admin.auth,
        payload: { amount: 100000, transaction_date: nul('2026-01-05 10:00') },
      },
      field: 'transaction_date',
    },
    {
      name: 'status note',
      req: { method: 'PUT', url: '/transactions/1/status', headers: admin.auth, payload: { status: 'completed', note: nul('Verified') } },
      field: 'note',
    },
  ]
  for (const c of cases) {
    const res = await t.app.inject(c.req)
    assert.equal(res.statusCode, 422, `${c.name}: ${res.body}`)
    const fields = (res.json().errors as Array<{ field: string; message: string }>).filter((e) => /NUL/.test(e.message)).map((e) => e.field)
    assert.ok(fields.includes(c.field), `${c.name}: ${res.body}`)
  }
})
