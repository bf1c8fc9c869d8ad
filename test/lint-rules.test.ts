/**
 * The house rules of CONTRIBUTING.md are lint rules (biome.jsonc): a probe module written into
 * src/modules/ breaking each of them must fail `biome lint`, and the same module written properly
 * must pass. The probe folder is removed afterwards (and excluded from tsc, tsconfig*.json).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, test } from 'node:test'

const root = path.resolve(import.meta.dirname, '..')
const dir = path.join(root, 'src', 'modules', `lint-probe-${process.pid}`)
const rel = path.relative(root, dir)
after(() => rmSync(dir, { recursive: true, force: true }))

function lint(files: Record<string, string>): { ok: boolean; rules: string[] } {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  const biome = path.join(root, 'node_modules', '.bin', 'biome')
  const run = spawnSync(biome, ['lint', '--max-diagnostics=100', '--colors=off', rel], { cwd: root, encoding: 'utf8' })
  const out = `${run.stdout}${run.stderr}`
  const rules = [...out.matchAll(/^\S+:\d+:\d+ (lint\/\S+|plugin)/gm)].map((m) => m[1] as string)
  return { ok: run.status === 0, rules }
}

test('Drizzle outside src/db and *.queries.ts, a hand-built AppError, a plugin internal and an import cycle all fail', () => {
  const bad = lint({
    'probe.service.ts': [
      "import { sql } from 'drizzle-orm'",
      "import { users } from '../../db/schema.js'",
      "import { AppError } from '../../lib/errors.js'",
      "import { isMalformedMultipart } from '../../plugins/uploads.js'",
      "import { other } from './probe.other.js'",
      "export const probe = () => [sql`SELECT 1`, users, new AppError(400, 'no'), isMalformedMultipart, other]",
      '',
    ].join('\n'),
    'probe.other.ts': "import { probe } from './probe.service.js'\nexport const other = () => probe\n",
  })
  assert.equal(bad.ok, false)
  assert.equal(bad.rules.filter((r) => r === 'lint/style/noRestrictedImports').length, 3, bad.rules.join(', '))
  assert.ok(bad.rules.includes('plugin'), 'new AppError(...) is refused')
  assert.ok(bad.rules.includes('lint/suspicious/noImportCycles'), 'the cycle is refused')
})

test('the same probe written by the rules passes', () => {
  const good = lint({
    'probe.queries.ts': [
      "import { sql } from 'drizzle-orm'",
      "import { type Executor, rows } from '../../db/client.js'",
      'export const one = (db: Executor) => rows(db, sql`SELECT 1`)',
      '',
    ].join('\n'),
    'probe.service.ts': [
      "import type { Db } from '../../db/client.js'",
      "import { notFound } from '../../lib/errors.js'",
      "import type { UploadedFile } from '../../plugins/uploads.js'",
      "import { one } from './probe.queries.js'",
      'export const probe = async (db: Db, _file?: UploadedFile) => {',
      '  if (!(await one(db)).length) throw notFound()',
      '}',
      '',
    ].join('\n'),
  })
  assert.deepEqual(good.rules, [])
  assert.equal(good.ok, true)
})
