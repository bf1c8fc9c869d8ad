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
