/**
 * The OpenAPI document stays valid and usable by client generators: Redocly's strict recommended
 * rules pass (the accepted exceptions are listed with reasons in .redocly.lint-ignore.yaml), every
 * operation has a unique operationId and every response a description.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { build } from '../helpers/app.js'

const t = await build()
const run = promisify(execFile)

type Operation = { operationId?: string; security?: unknown; responses: Record<string, { description?: string }> }

async function document() {
  const res = await t.app.inject({ method: 'GET', url: '/openapi.json' })
  assert.equal(res.statusCode, 200)
  return res.json() as { openapi: string; servers: unknown[]; paths: Record<string, Record<string, Operation>> }
}

test('every operation has a unique operationId, a security entry and described responses', async () => {
  const doc = await document()
  assert.equal(doc.openapi, '3.1.0')
  assert.ok(doc.servers.length > 0)
  const ids = new Set<string>()
  for (const [url, item] of Object.entries(doc.paths)) {
    assert.ok(!url.includes('{*}'), `${url}: a wildcard is not an OpenAPI path parameter`)
    for (const [method, op] of Object.entries(item)) {
      const id = op.operationId ?? ''
      assert.match(id, /^[a-z]+[A-Za-z0-9]*$/, `${method} ${url}`)
      assert.ok(!ids.has(id), `duplicate operationId ${id}`)
      ids.add(id)
      assert.ok(Array.isArray(op.security), `${method} ${url} says whether it needs a token`)
      for (const [status, response] of Object.entries(op.responses)) {
        assert.ok(response.description && response.description !== 'Default Response', `${method} ${url} ${status}`)
      }
    }
  }
  assert.ok(ids.has('getTransactionsById'))
  assert.ok(ids.has('getFilesByKey'))
})

test('Redocly lint (recommended-strict) finds no problem beyond the documented exceptions', async () => {
  // Lint a copy in a scratch folder laid out as `npm run lint:openapi` lays it out: the ignore file
  // keys its exceptions by the linted file's relative path.
  const dir = mkdtempSync(path.join(tmpdir(), 'talangraga-openapi-'))
  try {
    mkdirSync(path.join(dir, 'scratch'))
    writeFileSync(path.join(dir, 'scratch', 'openapi.json'), JSON.stringify(await document()))
    copyFileSync('redocly.yaml', path.join(dir, 'redocly.yaml'))
    copyFileSync('.redocly.lint-ignore.yaml', path.join(dir, '.redocly.lint-ignore.yaml'))
    const bin = path.resolve('node_modules/.bin/redocly')
    // Exit status 1 means problems were found; the JSON report says which.
    const { stdout } = await run(bin, ['lint', 'scratch/openapi.json', '--format=json'], {
      cwd: dir,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }))
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
      totals: { errors: number; warnings: number; ignored: number }
      problems: Array<{ ruleId: string; message: string; ignored?: boolean }>
    }
    const found = report.problems.filter((p) => !p.ignored).map((p) => `${p.ruleId}: ${p.message}`)
    assert.deepEqual(found, [])
    assert.equal(report.totals.errors, 0)
    assert.equal(report.totals.warnings, 0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('shared shapes are components referenced with $ref, with realistic Indonesian examples', async () => {
  const doc = (await document()) as unknown as {
    servers: { url: string }[]
    components: { schemas: Record<string, { examples?: unknown[] }> }
    paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>
  }
  assert.ok(doc.servers[0]?.url.startsWith('http'))
  for (const name of ['User', 'Periode', 'Payment', 'Transaction', 'Error', 'PageMeta']) {
    assert.ok(doc.components.schemas[name], `components.schemas.${name}`)
    assert.ok(doc.components.schemas[name]?.examples?.length, `${name} has an example`)
  }
  const text = JSON.stringify(doc.paths)
  for (const name of ['User', 'Periode', 'Payment', 'Transaction', 'Error', 'PageMeta']) {
    assert.ok(text.includes(`"#/components/schemas/${name}"`), `some operation refers to ${name}`)
  }
  const schemaOf = (path: string, method: string, status: string) =>
    doc.paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema as Record<string, unknown>
  assert.deepEqual((schemaOf('/periodes', 'get', '200').properties as Record<string, unknown>).meta, {
    $ref: '#/components/schemas/PageMeta',
  })
  assert.deepEqual(schemaOf('/users/{id}', 'get', '401'), { $ref: '#/components/schemas/Error' })
  assert.deepEqual((schemaOf('/users/{id}', 'get', '200').properties as Record<string, unknown>).data, {
    $ref: '#/components/schemas/User',
  })
  const member = doc.components.schemas.User?.examples?.[0] as { fullname: string; phone_number: string }
  assert.match(member.fullname, /Siti/)
  assert.match(member.phone_number, /^\+62/)
  const deposit = doc.components.schemas.Transaction?.examples?.[0] as { amount: number }
  assert.equal(deposit.amount, 1_500_000)
})
