import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createUrlSigner } from '../../src/modules/files/signing.js'
import { createTestDatabase } from '../helpers/database.js'

const signer = createUrlSigner({ secret: 's'.repeat(40), baseUrl: 'http://api.test', ttlSeconds: 900 })
const key = 'receipts/2026/11/0f8fad5b-d9cb-469f-a165-70867728950e.jpg'

function parts(url: string) {
  const u = new URL(url)
  return { key: u.pathname.replace(/^\/files\//, ''), exp: Number(u.searchParams.get('exp')), sig: u.searchParams.get('sig') ?? '' }
}

test('a signed URL verifies; a changed key, expiry or signature does not', () => {
  const p = parts(signer.url(key)!)
  assert.equal(p.key, key)
  assert.ok(signer.verify(p.key, p.exp, p.sig))
  assert.equal(signer.verify(p.key.replace('0f8f', '1f8f'), p.exp, p.sig), false)
  assert.equal(signer.verify(p.key, p.exp + 300, p.sig), false)
  // The first character, changed for sure: the last one of a base64url HMAC carries padding bits
  // (and may already be the replacement), so changing it can leave the same signature.
  assert.equal(signer.verify(p.key, p.exp, `${p.sig[0] === 'A' ? 'B' : 'A'}${p.sig.slice(1)}`), false)
  assert.equal(signer.url(null), null)
})

test('refreshUrls re-mints expired links of ours anywhere in a stored response, and leaves other strings alone', () => {
  const stale = `http://api.test/files/${key}?exp=1000&sig=stale`
  const body = {
    code: 201,
    message: 'ok',
    data: { bukti_transfer_url: stale, user: { image_profile_url: stale }, note: 'http://elsewhere/files/x' },
  }
  const fresh = signer.refreshUrls(body)
  const p = parts(fresh.data.bukti_transfer_url)
  assert.ok(signer.verify(p.key, p.exp, p.sig), 'the refreshed link verifies')
  assert.equal(p.key, key)
  assert.equal(fresh.data.user.image_profile_url, fresh.data.bukti_transfer_url)
  assert.equal(fresh.data.note, 'http://elsewhere/files/x')
  assert.equal(body.data.bukti_transfer_url, stale, 'the stored body is not mutated')
})

test('with the default week-long lifetime a file has one URL all day, valid at least 7 days', (t) => {
  const week = createUrlSigner({ secret: 's'.repeat(40), baseUrl: 'http://api.test', ttlSeconds: 604_800 })
  const morning = Date.UTC(2026, 10, 30, 0, 0, 1)
  t.mock.method(Date, 'now', () => morning)
  const first = week.url(key)!
  const p = parts(first)
  assert.equal(p.exp % 86_400, 0, 'expiry on a day boundary')
  assert.ok(p.exp >= morning / 1000 + 604_800 && p.exp <= morning / 1000 + 604_800 + 86_400)
  t.mock.method(Date, 'now', () => morning + 23 * 3600_000)
  assert.equal(week.url(key), first, 'the same URL 23 hours later: image caches keep working')
  t.mock.method(Date, 'now', () => morning + 7 * 86_400_000 - 1000)
  assert.ok(week.verify(p.key, p.exp, p.sig), 'still valid a week later')
})

test('signed file URLs reach the request log without their signature', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-log-'))
  const db = await createTestDatabase()
  const logs: string[] = []
  const config = loadConfig({ DATA_DIR: dataDir, SECRET_KEY: 'a'.repeat(40), REFRESH_SECRET_KEY: 'r'.repeat(40), LOG_LEVEL: 'info' })
  const app = await buildApp(config, { database: db.database, logger: { level: 'info', stream: { write: (l: string) => logs.push(l) } } })
  try {
    const url = new URL(app.signer.url(key)!)
    const sig = url.searchParams.get('sig') as string
    await app.inject({ method: 'GET', url: `${url.pathname}${url.search}` })
    assert.ok(
      logs.some((l) => l.includes('/files/') && l.includes('sig=[redacted]')),
      logs.join(''),
    )
    assert.ok(!logs.some((l) => l.includes(sig)), 'the signature is not in the log')
  } finally {
    await app.close()
    await db.drop()
    rmSync(dataDir, { recursive: true, force: true })
  }
})
