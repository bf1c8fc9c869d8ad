import assert from 'node:assert/strict'
import { test } from 'node:test'
import { build } from '../helpers/app.js'

const t = await build()

test('live and ready answer in the envelope, also under /api and with a trailing slash', async () => {
  for (const url of ['/health/live', '/api/health/live/', '/health/ready', '/api/health/ready']) {
    const res = await t.app.inject({ url })
    assert.equal(res.statusCode, 200, url)
    const body = res.json()
    assert.equal(body.code, 200)
    assert.equal(typeof body.message, 'string')
  }
  const ready = (await t.app.inject({ url: '/health/ready' })).json()
  assert.equal(ready.data.database, 'up')
})

test('unknown routes are 404 in the envelope', async () => {
  const res = await t.app.inject({ url: '/nope/nothing' })
  assert.equal(res.statusCode, 404)
  assert.deepEqual(Object.keys(res.json()).sort(), ['code', 'data', 'message'])
  assert.equal(res.json().code, 404)
})

test('openapi document and swagger UI are served', async () => {
  const doc = await t.app.inject({ url: '/openapi.json' })
  assert.equal(doc.statusCode, 200)
  assert.ok(doc.json().paths['/auth/login'])
  const ui = await t.app.inject({ url: '/docs/' })
  assert.equal(ui.statusCode, 200)
})

test('a known path with a wrong method is 405 with Allow; unknown paths stay 404', async () => {
  const res = await t.app.inject({ method: 'PATCH', url: '/auth/login' })
  assert.equal(res.statusCode, 405)
  assert.equal(res.headers.allow, 'POST')
  assert.equal(res.json().code, 405)
  const param = await t.app.inject({ method: 'POST', url: '/periodes/12/' })
  assert.equal(param.statusCode, 405)
  assert.match(String(param.headers.allow), /GET/)
  assert.match(String(param.headers.allow), /PUT/)
  const unknown = await t.app.inject({ method: 'GET', url: '/periodes/12/extra' })
  assert.equal(unknown.statusCode, 404)
})
