import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createUrlSigner } from '../../src/modules/files/signing.js'

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
  assert.equal(signer.verify(p.key, p.exp, `${p.sig.slice(0, -1)}A`), false)
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
