/**
 * Moving from the old backend: build its schema (fixtures/fastapi-schema.sql) in a scratch
 * PostgreSQL database, fill it (an argon2 user, a bcrypt user, upper-case enum names, float
 * amounts), import through the real CLI into a fresh embedded DATA_DIR, check counts and values,
 * run it again (refused without --merge; no change with it), then log in as the imported users
 * through the HTTP app opened on that DATA_DIR. Conflicting source data aborts with a report.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import argon2 from 'argon2'
import bcrypt from 'bcryptjs'
import pg from 'pg'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase, rows, sql } from '../../src/db/client.js'
import { ImportError, importFastapi } from '../../src/ops/import-fastapi.js'
import { TEST_DATABASE_URL } from '../helpers/database.js'
import { ROOT, scratchDatabase, servicesAvailable } from './support.js'

const run = promisify(execFile)
const SCHEMA = readFileSync(path.join(import.meta.dirname, 'fixtures', 'fastapi-schema.sql'), 'utf8')

async function cli(dataDir: string, args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
    timeout: 120_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  )
}

/** The per-table line of the CLI report: [source, inserted, already-present, now-in-target]. */
function countsOf(stdout: string, table: string): number[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${table} `))
  assert.ok(line, `report has a line for ${table}: ${stdout}`)
  return line.trim().split(/\s+/).slice(1).map(Number)
}

async function oldDatabase(fill: (c: pg.Client) => Promise<void>) {
  const scratch = await scratchDatabase(TEST_DATABASE_URL as string, 'fastapi_old')
  const c = new pg.Client({ connectionString: scratch.url })
  await c.connect()
  try {
    await c.query(SCHEMA)
    await fill(c)
  } finally {
    await c.end()
  }
  return scratch
}

const ADMIN_PW = 'Bendahara-Lama-2019'
const MEMBER_PW = 'bcrypt-member-pass'

test('import-fastapi copies users, periodes, payments and transactions; idempotent; imported users log in', {
  timeout: 240_000,
}, async (t) => {
  if (!servicesAvailable(t)) return
  // passlib's argon2 defaults (m=64 MiB, t=3, p=4) and bcrypt $2b$ at cost 12, as the old backend made them.
  const argonHash = await argon2.hash(ADMIN_PW, { type: argon2.argon2id, memoryCost: 65_536, timeCost: 3, parallelism: 4 })
  const bcryptHash = await bcrypt.hash(MEMBER_PW, 12)
  const source = await oldDatabase(async (c) => {
    await c.query(
      `INSERT INTO users (id, fullname, username, email, phone_number, domisili, user_type, password, image_profile_url, is_active, created_at) VALUES
       (3, 'Ibu Bendahara', 'bendahara', 'Bendahara@Example.TEST', '0812-3456-7890', 'Bandung', 'ADMIN', $1, NULL, true, '2024-01-02 03:04:05'),
       (7, 'Pak Anggota', 'Anggota7', 'anggota7@example.test', '+62 812 3456 7890', NULL, 'MEMBER', $2, 'https://old.example/img/7.jpg', true, '2024-02-01 00:00:00'),
       (9, 'Adik Anggota', 'adik9', 'adik9@example.test', NULL, NULL, 'MEMBER', $1, NULL, false, '2024-03-01 00:00:00')`,
      [argonHash, bcryptHash],
    )
    await c.query(
      `INSERT INTO periodes (id, periode_name, start_date, end_date) VALUES (2, '2024/2025', '2024-01-01', '2024-12-31'), (5, '2025/2026', '2025-01-01', '2025-12-31')`,
    )
    await c.query(
      `INSERT INTO payments (id, payment_name, payment_type) VALUES (4, 'BCA a.n. Padepokan', 'TRANSFER'), (6, 'Tunai', 'CASH')`,
    )
    await c.query(
      `INSERT INTO transactions (id, amount, transaction_date, bukti_transfer_url, status, user_id, reported_by_user_id, confirmed_by, payment_id, periode_id, reported_date, created_at, updated_at) VALUES
       (10, 150000.0, '2024-05-01 10:00:00', 'https://old.example/bukti/10.jpg', 'COMPLETED', 7, 7, 3, 4, 2, '2024-05-01 10:05:00', '2024-05-01 10:05:00', '2024-05-02 08:00:00'),
       (11, 250000.5, '2024-06-01 09:30:00', 'https://old.example/bukti/11.jpg', 'SENT', 9, 7, NULL, 4, 2, '2024-06-01 09:31:00', '2024-06-01 09:31:00', '2024-06-01 09:31:00'),
       (12, 99999.99, '2025-02-01 12:00:00', NULL, 'ON_PROCESS', 9, NULL, NULL, 6, 5, '2025-02-01 12:00:00', '2025-02-01 12:00:00', '2025-02-01 12:00:00'),
       (13, 50000, '2025-03-01 12:00:00', 'https://old.example/bukti/13.jpg', 'REJECTED', 7, 7, 3, 4, 5, '2025-03-01 12:00:00', '2025-03-01 12:00:00', '2025-03-02 12:00:00')`,
    )
  })
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-import-'))
  t.after(async () => {
    await source.drop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const first = await cli(dataDir, ['import-fastapi', source.url])
  assert.equal(first.code, 0, first.stderr)
  assert.deepEqual(countsOf(first.stdout, 'users'), [3, 3, 0, 3])
  assert.deepEqual(countsOf(first.stdout, 'periodes'), [2, 2, 0, 2])
  assert.deepEqual(countsOf(first.stdout, 'payments'), [2, 2, 0, 2])
  assert.deepEqual(countsOf(first.stdout, 'transactions'), [4, 4, 0, 4])
  // The phone clash and the profile URL are reported, not silently dropped.
  assert.match(first.stdout, /users\.id=7: phone \+6281234567890 already belongs to users\.id=3/)
  assert.match(first.stdout, /1 profile image URL\(s\) not carried over/)

  // Again: refused into a non-empty target without --merge; with --merge nothing changes.
  const refused = await cli(dataDir, ['import-fastapi', source.url])
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /target database is not empty .* --merge/)
  const second = await cli(dataDir, ['import-fastapi', source.url, '--merge'])
  assert.equal(second.code, 0, second.stderr)
  assert.deepEqual(countsOf(second.stdout, 'users'), [3, 0, 3, 3])
  assert.deepEqual(countsOf(second.stdout, 'transactions'), [4, 0, 4, 4])

  const app = await buildApp(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', AUTH_RATE_LIMIT: '1000' }), { logger: false })
  t.after(() => app.close())
  await app.ready()
  const db = app.database.db

  const users = await rows<Record<string, unknown>>(
    db,
    sql`SELECT id, username, email, phone_number, user_type, is_active FROM users ORDER BY id`,
  )
  assert.deepEqual(users, [
    { id: 3, username: 'bendahara', email: 'bendahara@example.test', phone_number: '+6281234567890', user_type: 'admin', is_active: true },
    { id: 7, username: 'Anggota7', email: 'anggota7@example.test', phone_number: null, user_type: 'member', is_active: true },
    { id: 9, username: 'adik9', email: 'adik9@example.test', phone_number: null, user_type: 'member', is_active: false },
  ])
  const txs = await rows<Record<string, unknown>>(
    db,
    sql`SELECT id, amount::text AS amount, status, user_id, reported_by, confirmed_by, payment_id, periode_id, legacy_proof_url,
               to_char(transaction_date AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS at FROM transactions ORDER BY id`,
  )
  assert.deepEqual(txs, [
    {
      id: 10,
      amount: '150000.00',
      status: 'completed',
      user_id: 7,
      reported_by: 7,
      confirmed_by: 3,
      payment_id: 4,
      periode_id: 2,
      legacy_proof_url: 'https://old.example/bukti/10.jpg',
      at: '2024-05-01 10:00',
    },
    {
      id: 11,
      amount: '250000.50',
      status: 'sent',
      user_id: 9,
      reported_by: 7,
      confirmed_by: null,
      payment_id: 4,
      periode_id: 2,
      legacy_proof_url: 'https://old.example/bukti/11.jpg',
      at: '2024-06-01 09:30',
    },
    {
      id: 12,
      amount: '99999.99',
      status: 'on_process',
      user_id: 9,
      reported_by: 9,
      confirmed_by: null,
      payment_id: 6,
      periode_id: 5,
      legacy_proof_url: null,
      at: '2025-02-01 12:00',
    },
    {
      id: 13,
      amount: '50000.00',
      status: 'rejected',
      user_id: 7,
      reported_by: 7,
      confirmed_by: 3,
      payment_id: 4,
      periode_id: 5,
      legacy_proof_url: 'https://old.example/bukti/13.jpg',
      at: '2025-03-01 12:00',
    },
  ])
  const [history] = await rows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM transaction_status_history`)
  assert.equal(history?.n, 4, 'one history entry per imported transaction, not repeated by the second run')

  // The argon2 admin (by email, any case) and the bcrypt member log in with their old passwords.
  const admin = await app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { identifier: 'BENDAHARA@example.test', password: ADMIN_PW },
  })
  assert.equal(admin.statusCode, 200, admin.body)
  assert.equal(admin.json().data.user.id, 3)
  assert.equal(admin.json().data.user.user_type, 'admin')
  const member = await app.inject({ method: 'POST', url: '/auth/login', payload: { identifier: 'anggota7', password: MEMBER_PW } })
  assert.equal(member.statusCode, 200, member.body)
  assert.equal(member.json().data.user.id, 7)
  const wrong = await app.inject({ method: 'POST', url: '/auth/login', payload: { identifier: 'anggota7', password: 'not-it-at-all' } })
  assert.equal(wrong.statusCode, 401)
  // Rehashed on login to current parameters (bcrypt -> argon2id).
  const [rehashed] = await rows<{ h: string }>(db, sql`SELECT password_hash AS h FROM users WHERE id = 7`)
  assert.match(rehashed?.h ?? '', /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)

  // Sequences moved past the old ids: a new registration does not collide.
  const reg = await app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: { fullname: 'Anggota Baru', username: 'baru', email: 'baru@example.test', password: 'Anggota-Baru-2026!' },
  })
  assert.equal(reg.statusCode, 201, reg.body)
  assert.equal(reg.json().data.id, 10)
})

test('import-fastapi aborts on conflicting source data, lists the problems, and writes nothing', async (t) => {
  if (!servicesAvailable(t)) return
  const hash = await bcrypt.hash('whatever-password', 4)
  const source = await oldDatabase(async (c) => {
    await c.query(
      `INSERT INTO users (id, fullname, username, email, user_type, password) VALUES
       (1, 'A', 'siti', 'Siti@example.test', 'MEMBER', $1),
       (2, 'B', 'siti2', 'siti@EXAMPLE.test', 'MEMBER', $1),
       (3, 'C', 'SITI', 'c@example.test', 'MEMBER', $1)`,
      [hash],
    )
    await c.query(`INSERT INTO periodes (id, periode_name, start_date, end_date) VALUES (1, 'Bad', '2025-12-31', '2025-01-01')`)
  })
  t.after(() => source.drop())
  const target = await openDatabase({})
  t.after(() => target.close())
  await target.migrate()
  await assert.rejects(importFastapi(source.url, target), (err: unknown) => {
    assert.ok(err instanceof ImportError)
    assert.match(err.message, /users\.id=2: email siti@example\.test also used by users\.id=1/)
    assert.match(err.message, /users\.id=3: username SITI also used by users\.id=1/)
    assert.match(err.message, /periodes\.id=1: start_date 2025-12-31 is not before end_date 2025-01-01/)
    return true
  })
  const [n] = await rows<{ n: number }>(target.db, sql`SELECT count(*)::int AS n FROM users`)
  assert.equal(n?.n, 0)
})
