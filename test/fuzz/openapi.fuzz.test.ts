/**
 * Fuzzing every operation of /openapi.json: a bounded number of generated requests per operation
 * (hostile path ids and query values, bodies generated from the documented schema with hostile
 * values, malformed JSON and multipart, wrong content types, missing or garbage tokens). Fails on
 * any 5xx, any answer outside the envelope, any status the document does not list for the
 * operation, and any JSON body that does not match the documented schema of its status.
 * Seeded (FUZZ_SEED, default 11): a failure names its seed and request, and reproduces.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { InjectOptions } from 'fastify'
import { build, userWithToken } from '../helpers/app.js'

const SEED = Number(process.env.FUZZ_SEED ?? 11)
const PER_OPERATION = Number(process.env.FUZZ_PER_OPERATION ?? 6)

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function rng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const random = rng(SEED)
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T
const chance = (p: number) => random() < p

const HOSTILE_STRINGS = [
  '',
  ' ',
  'a',
  'x'.repeat(5000),
  'nul\u0000byte',
  '🕋 عمرة Umroh',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '2026-01-05',
  '2026-02-30T25:61:00Z',
  '1e309',
  '-1',
  '0x1',
  'null',
  '%00',
  '\u202e\u0000\ufffd',
]
const HOSTILE_IDS = ['1', '2', '0', '-1', ' 1', '+1', '1e0', '0x1', '01', '2147483648', '99999999999999999999', 'abc', '%00', '1.5', '%20']
const HOSTILE_NUMBERS = [0, 1, -1, 1.5, 2 ** 31, 1e300, -0.001, 100000]

type Schema = {
  type?: string | string[]
  properties?: Record<string, Schema>
  items?: Schema
  anyOf?: Schema[]
  oneOf?: Schema[]
  enum?: unknown[]
  const?: unknown
  default?: unknown
  $ref?: string
}

/** A value for `schema`: usually of its shape (to get past the first check), often hostile. */
function generate(schema: Schema | undefined, depth = 0): unknown {
  // Shared shapes are components (`#/components/schemas/User`).
  if (schema?.$ref) return generate(doc.components?.schemas?.[schema.$ref.split('/').pop() ?? ''], depth)
  if (!schema || depth > 4 || chance(0.08)) return pick<unknown>([...HOSTILE_STRINGS, ...HOSTILE_NUMBERS, null, true, [], {}])
  const branches = schema.anyOf ?? schema.oneOf
  if (branches) return generate(pick(branches), depth + 1)
  if (schema.enum) return chance(0.85) ? pick(schema.enum) : 'bogus'
  if (schema.const !== undefined) return schema.const
  const type = Array.isArray(schema.type) ? pick(schema.type) : schema.type
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(schema.properties ?? {})) if (chance(0.8)) out[k] = generate(v, depth + 1)
      if (chance(0.1)) out.__proto__extra = 'x'
      return out
    }
    case 'array':
      return chance(0.2) ? [] : Array.from({ length: 1 + Math.floor(random() * 3) }, () => generate(schema.items, depth + 1))
    case 'integer':
      return chance(0.7) ? pick([1, 2, 3]) : pick(HOSTILE_NUMBERS)
    case 'number':
      return chance(0.6) ? 50000 : pick(HOSTILE_NUMBERS)
    case 'boolean':
      return chance(0.8) ? pick([true, false]) : 'yes'
    case 'null':
      return null
    default:
      return chance(0.5)
        ? pick(['Siti Aminah', 'siti@example.test', '081234567890', 'Kurma-Madinah-2026!', '2026-01-05 10:00'])
        : pick(HOSTILE_STRINGS)
  }
}

function multipartOf(fields: Record<string, unknown>, withFile: boolean) {
  const boundary = `fuzz${Math.floor(random() * 1e9)}`
  let body = ''
  for (const [k, v] of Object.entries(fields)) {
    body += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${typeof v === 'string' ? v : JSON.stringify(v)}\r\n`
  }
  if (withFile) {
    body += `--${boundary}\r\nContent-Disposition: form-data; name="${pick(['file', 'image_profile', 'image'])}"; filename="x.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xffgarbage\r\n`
  }
  return { body: `${body}--${boundary}--\r\n`, type: `multipart/form-data; boundary=${boundary}` }
}

const MALFORMED_BODIES: Array<[string, string]> = [
  ['application/json', '{"a": '],
  ['application/json', '[1,2'],
  ['application/json', '{"__proto__": {"x": 1}}'],
  ['multipart/form-data', '--x\r\n'],
  ['multipart/form-data; boundary=', '--\r\n'],
  ['multipart/form-data; boundary=B', '--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated'],
  ['text/plain', 'hello'],
  ['application/xml', '<a/>'],
]

type Operation = {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Schema }>
  requestBody?: { content: Record<string, { schema: Schema }> }
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>
  security?: unknown[]
}

const t = await build()
const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
  paths: Record<string, Record<string, Operation>>
  components?: { schemas?: Record<string, Schema> }
}
const ajv = new Ajv2020.default({ strict: false, allErrors: false, validateFormats: true })
addFormats.default(ajv)
// Documentation-only formats of our schemas.
ajv.addFormat('binary', true)

let admin = await userWithToken(t, 'admin')
let member = await userWithToken(t, 'member')
async function tokens() {
  // A fuzzed request may delete or deactivate these accounts or revoke their sessions: renew them.
  for (const who of ['admin', 'member'] as const) {
    const current = who === 'admin' ? admin : member
    const res = await t.app.inject({ method: 'GET', url: '/auth/profile', headers: current.auth })
    if (res.statusCode !== 200) {
      if (who === 'admin') admin = await userWithToken(t, 'admin')
      else member = await userWithToken(t, 'member')
    }
  }
}

function requestFor(url: string, method: string, op: Operation): InjectOptions {
  let path = url
  const query: string[] = []
  for (const p of op.parameters ?? []) {
    if (p.in === 'path') {
      path = path.replace(`{${p.name}}`, encodeURIComponent(pick(HOSTILE_IDS)).replace(/%25/g, '%'))
    } else if (p.in === 'query' && (p.required || chance(0.5))) {
      const v = chance(0.5) ? generate(p.schema) : pick([...HOSTILE_STRINGS, ...HOSTILE_IDS])
      query.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(String(v))}`)
    }
  }
  const headers: Record<string, string> = {}
  const who = pick(['admin', 'admin', 'member', 'none', 'garbage', 'basic'])
  if (who === 'admin') Object.assign(headers, admin.auth)
  if (who === 'member') Object.assign(headers, member.auth)
  if (who === 'garbage') headers.authorization = `Bearer ${pick(['x', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.'])}`
  if (who === 'basic') headers.authorization = 'Basic dXNlcjpwYXNz'
  if (chance(0.15)) headers['idempotency-key'] = pick(['k1', '', 'x'.repeat(300), 'nul%00'])
  let payload: string | undefined
  if (op.requestBody || ((method === 'post' || method === 'put' || method === 'patch') && chance(0.3))) {
    const content = op.requestBody?.content ?? {}
    const roll = random()
    if (roll < 0.25) {
      const [type, body] = pick(MALFORMED_BODIES)
      headers['content-type'] = type
      payload = body
    } else if (roll < 0.5 && content['multipart/form-data']) {
      const fields = generate(content['multipart/form-data'].schema)
      const m = multipartOf((fields ?? {}) as Record<string, unknown>, chance(0.5))
      headers['content-type'] = m.type
      payload = m.body
    } else {
      const schema = content['application/json']?.schema ?? Object.values(content)[0]?.schema
      headers['content-type'] = 'application/json'
      payload = JSON.stringify(generate(schema))
    }
  }
  const injected: InjectOptions = {
    method: method.toUpperCase() as 'GET',
    url: path + (query.length ? `?${query.join('&')}` : ''),
    headers,
  }
  if (payload !== undefined) injected.payload = payload
  return injected
}

test(`fuzz every operation of the OpenAPI document (seed ${SEED}, ${PER_OPERATION} requests each)`, { timeout: 240_000 }, async (ctx) => {
  const failures: string[] = []
  let sent = 0
  const statuses = new Map<number, number>()
  const validators = new Map<unknown, ReturnType<typeof ajv.compile>>()
  for (const [url, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue
      for (let i = 0; i < PER_OPERATION; i++) {
        await tokens()
        const req = requestFor(url, method, op)
        const res = await t.app.inject(req)
        sent += 1
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
        const what = `${req.method} ${req.url} [${(req.headers as Record<string, string>)['content-type'] ?? ''}] ${String(req.payload ?? '').slice(0, 120)} -> ${res.statusCode} ${res.body.slice(0, 300)}`
        if (res.statusCode >= 500) failures.push(`5xx: ${what}`)
        const documented = op.responses[String(res.statusCode)]
        if (!documented) {
          failures.push(`undocumented status: ${what}`)
          continue
        }
        const isJson = /application\/json/.test(String(res.headers['content-type'] ?? ''))
        if (res.statusCode >= 400 || isJson) {
          let body: { code?: unknown; message?: unknown } | undefined
          try {
            body = res.json()
          } catch {
            failures.push(`not JSON: ${what}`)
            continue
          }
          if (body?.code !== res.statusCode || typeof body.message !== 'string' || body.message === '') {
            failures.push(`outside the envelope: ${what}`)
            continue
          }
          const schema = documented.content?.['application/json']?.schema
          if (schema) {
            let validate = validators.get(schema)
            if (!validate) {
              // The document's components travel with each schema so that its `$ref`s resolve.
              validate = ajv.compile({ ...schema, components: doc.components })
              validators.set(schema, validate)
            }
            if (!validate(body)) failures.push(`body does not match its schema (${ajv.errorsText(validate.errors)}): ${what}`)
          }
        }
      }
    }
  }
  ctx.diagnostic(`${sent} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`)
  assert.ok(sent >= 100, `${sent} requests`)
  assert.deepEqual(failures.slice(0, 15), [], `seed ${SEED}: ${failures.length} failures of ${sent} requests`)
})
