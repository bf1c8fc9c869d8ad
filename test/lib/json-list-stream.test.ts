import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify from 'fastify'
import { translate } from '../../src/i18n/index.js'
import { jsonListBuffer, sendJsonList } from '../../src/lib/json-list-stream.js'

/**
 * Rows whose UTF-8 length differs from their string length in every way there is: ASCII (1 byte
 * per unit), Latin accents (2), CJK (3, the most per UTF-16 unit) and emoji (4 bytes for 2 units),
 * of sizes that put row ends on both sides of the 64 KB piece boundary, and one row larger than a
 * piece.
 */
function rowsOfEveryWidth(): string[] {
  const words = ['Siti Rahmawati', 'Zoë Hélène', '山田太郎', 'Umroh 🕋 2027']
  const rows: string[] = []
  for (let i = 0; i < 400; i++) {
    const name = words[i % words.length]!.repeat(1 + ((i * 37) % 90))
    rows.push(JSON.stringify({ id: i, name }))
  }
  rows.splice(123, 0, JSON.stringify({ id: 'big', note: '山'.repeat(30_000) })) // 90 KB of UTF-8
  return rows
}

function expectedList(meta: Record<string, unknown>, rows: string[], message = 'Success') {
  return `{"code":200,"message":${JSON.stringify(message)},"meta":${JSON.stringify(meta)},"data":[${rows.join(',')}]}`
}

/** Equal, without printing two 300 KB strings when they are not. */
function sameText(actual: string, expected: string) {
  if (actual === expected) return
  let i = 0
  while (actual[i] === expected[i]) i++
  assert.fail(
    `differ at ${i} of ${actual.length}/${expected.length}: ${JSON.stringify(actual.slice(i - 20, i + 20))} vs ${JSON.stringify(expected.slice(i - 20, i + 20))}`,
  )
}

test('jsonListBuffer: the exact bytes in one buffer of exactly their length, whatever the rows', () => {
  const meta = { page: 1, total: 401 }
  const rows = rowsOfEveryWidth()
  const body = jsonListBuffer(
    'Success',
    meta,
    rows.map((r) => Buffer.from(r)),
  )
  sameText(body.toString('utf8'), expectedList(meta, rows))
  assert.equal(body.length, Buffer.byteLength(expectedList(meta, rows)))
  assert.equal(
    jsonListBuffer('Success', { total: 1 }, [Buffer.from('{"id":1}')]).toString(),
    '{"code":200,"message":"Success","meta":{"total":1},"data":[{"id":1}]}',
  )
  assert.equal(jsonListBuffer('Success', { total: 0 }, []).toString(), '{"code":200,"message":"Success","meta":{"total":0},"data":[]}')
})

test('sendJsonList: buffers first, then chunks of strings, arrive as the same bytes in order', async (t) => {
  const rows = rowsOfEveryWidth()
  const first = rows.slice(0, 50).map((r) => Buffer.from(r))
  const rest = rows.slice(50)
  async function* chunks() {
    for (let i = 0; i < rest.length; i += 60) yield rest.slice(i, i + 60)
  }
  const app = Fastify()
  t.after(() => app.close())
  const meta = { total: rows.length }
  app.get('/list', (_request, reply) => sendJsonList<Buffer | string>(reply, { meta, first, rest: chunks() }, (row) => row))
  const res = await app.inject('/list')
  assert.equal(res.statusCode, 200)
  // This bare app sets no request language: the message is in the default one, Indonesian.
  sameText(res.body, expectedList(meta, rows, translate('id', 'Success')))
  assert.equal((JSON.parse(res.body) as { data: unknown[] }).data.length, rows.length)
})
