/**
 * kill -9 in the middle of an upload with an Idempotency-Key, then a restart: the retry with the
 * same key and body completes at once (no 409 for minutes), and exactly one deposit exists.
 * On the embedded PGlite and, when available, on PostgreSQL.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type TestContext, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import sharp from 'sharp'
import { TEST_DATABASE_URL } from '../helpers/database.js'
import { multipart } from '../helpers/multipart.js'
import { http, PASSWORD, type ServerProcess, scratchDatabase, servicesAvailable, startServer } from './support.js'

/** A photo-sized JPEG of noise: re-encoding it takes long enough to be killed in the middle. */
const photo = await sharp({
  create: { width: 2400, height: 2400, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
})
  .jpeg({ quality: 92 })
  .toBuffer()

async function crashAndRetry(t: TestContext, env: Record<string, string>) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-crash-'))
  let server: ServerProcess | undefined
  t.after(async () => {
    await server?.stop('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  })
  const start = () => startServer({ ...env, DATA_DIR: dataDir, LOG_LEVEL: 'debug' })
  server = await start()
  const username = `crash${Date.now().toString(36)}`
  const reg = await http(server.url, 'POST', '/auth/register', {
    body: { fullname: 'Siti Crash', username, email: `${username}@example.test`, password: PASSWORD },
  })
  assert.equal(reg.status, 201, reg.text)
  const login = await http(server.url, 'POST', '/auth/login', { body: { identifier: username, password: PASSWORD } })
  const token = (login.json as { data: { access_token: string } }).data.access_token

  const { payload, headers } = multipart({ amount: '150000', transaction_date: '2025-11-20 10:00' }, [
    { field: 'file', filename: 'receipt.jpg', type: 'image/jpeg', data: photo },
  ])
  const key = randomUUID()
  const send = (base: string) =>
    fetch(`${base}/transactions`, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${token}`, 'idempotency-key': key },
      body: payload,
      signal: AbortSignal.timeout(30_000),
    })

  // The first attempt: killed right after it claimed the key, while the receipt is being processed.
  const first = send(server.url).catch((err: Error) => err)
  const claimedAt = Date.now()
  while (!server.output().includes('idempotency.claimed') && Date.now() - claimedAt < 20_000) await sleep(2)
  assert.ok(server.output().includes('idempotency.claimed'), 'the request claimed its key')
  server.proc.kill('SIGKILL')
  const outcome = await first
  assert.ok(outcome instanceof Error, 'the killed request got no answer')
  await server.stop()
  server = await start()
  const started = Date.now()
  const retry = await send(server.url)
  const body = await retry.text()
  assert.equal(retry.status, 201, body)
  assert.ok(Date.now() - started < 10_000, `retry answered in ${Date.now() - started} ms`)
  // Not a replay: the killed attempt had written nothing, and this one did the work.
  assert.equal(retry.headers.get('idempotent-replayed'), null)
  const again = await send(server.url)
  assert.equal(again.status, 201)
  assert.equal(again.headers.get('idempotent-replayed'), 'true')
  const list = await http(server.url, 'GET', '/transactions', { token })
  assert.equal((list.json as { data: unknown[] }).data.length, 1, 'one deposit, not two')
}

test('kill -9 mid-upload, restart, same-key retry: completes at once (PGlite)', async (t) => {
  await crashAndRetry(t, {})
})

test('kill -9 mid-upload, restart, same-key retry: completes at once (PostgreSQL)', async (t) => {
  if (!servicesAvailable(t)) return
  const scratch = await scratchDatabase(TEST_DATABASE_URL as string, 'talangraga_crash')
  t.after(() => scratch.drop())
  await crashAndRetry(t, { DATABASE_URL: scratch.url })
})
