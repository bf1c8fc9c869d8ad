/**
 * Password flows over HTTP with mail delivered by real SMTP (an in-process smtp-server):
 * forgot/reset (no enumeration, single use, expiry, all sessions revoked), change-password on both
 * paths, and legacy hashes from the old backend being accepted and upgraded at login.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import argon2 from 'argon2'
import bcrypt from 'bcryptjs'
import { eq } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import { passwordResetTokens, users } from '../../src/db/schema.js'
import { assertNoSecrets, build, createUser, DEFAULT_PASSWORD, login, type TestUser, unique } from '../helpers/app.js'
import { startSmtp } from '../helpers/smtp.js'

const smtp = await startSmtp()
const t = await build({ SMTP_URL: smtp.url, APP_URL: 'https://app.talangraga.test' })

const NEW_PASSWORD = 'Zamzam-Segar-Sekali-77'
const CURRENT_ARGON2 = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const profile = (token: string) => t.app.inject({ method: 'GET', url: '/auth/profile', headers: bearer(token) })
const loginRes = (identifier: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/auth/login', payload: { identifier, password } })
const forgot = (email: string) => t.app.inject({ method: 'POST', url: '/auth/forgot-password', payload: { email } })
const reset = (token: string, password = NEW_PASSWORD) =>
  t.app.inject({
    method: 'POST',
    url: '/auth/reset-password',
    payload: { reset_token: token, new_password: password, confirm_new_password: password },
  })

/** Undo quoted-printable soft line breaks and escapes so the token can be read from the raw mail. */
const decodeQuotedPrintable = (raw: string) =>
  raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))

async function resetTokenFromMail(user: TestUser): Promise<string> {
  const mail = await smtp.waitFor(user.email, /reset/i)
  const text = decodeQuotedPrintable(mail.raw)
  const match = /usable once\): ([A-Za-z0-9_-]{20,})/.exec(text)
  assert.ok(match, `reset code in mail: ${text.slice(0, 500)}`)
  assert.ok(text.includes(`https://app.talangraga.test/reset-password?token=${match[1]}`), 'link built from APP_URL')
  return match[1] as string
}

function strip(res: LightMyRequestResponse) {
  // Date and the request id (X-Request-Id, issue 12) differ on every response by design.
  const { date: _d, 'x-request-id': _id, ...headers } = res.headers
  return { status: res.statusCode, body: res.body, headers }
}

test('forgot-password answers the same for existing, unknown and inactive accounts, and never returns the token', async () => {
  const user = await createUser(t)
  const inactive = await createUser(t, { active: false })
  const known = await forgot(user.email.toUpperCase())
  const unknown = await forgot(`${unique('ghost')}@example.test`)
  const off = await forgot(inactive.email)
  assert.equal(known.statusCode, 200)
  assert.deepEqual(strip(known), strip(unknown))
  assert.deepEqual(strip(off), strip(unknown))
  assert.equal(known.json().data, null)

  const token = await resetTokenFromMail(user)
  assert.ok(!known.body.includes(token))
  // Stored hashed only.
  const rows = await t.db.database.db.select().from(passwordResetTokens).where(eq(passwordResetTokens.userId, user.id))
  assert.equal(rows.length, 1)
  assert.notEqual(rows[0]?.tokenHash, token)
  assert.match(String(rows[0]?.tokenHash), /^[0-9a-f]{64}$/)
  // Nothing was mailed to the inactive account.
  await t.app.mailer.flush()
  assert.equal(smtp.messages.filter((m) => m.to.includes(inactive.email.toLowerCase())).length, 0)
})

test('reset works once, revokes every session, and the new password logs in', async () => {
  const user = await createUser(t)
  const s1 = await login(t, user)
  const s2 = await login(t, user)
  assert.equal((await forgot(user.email)).statusCode, 200)
  const token = await resetTokenFromMail(user)

  // Nothing changes before the token is used: the old password still works.
  assert.equal((await loginRes(user.username, user.password)).statusCode, 200)

  const mismatch = await t.app.inject({
    method: 'POST',
    url: '/auth/reset-password',
    payload: { reset_token: token, new_password: NEW_PASSWORD, confirm_new_password: `${NEW_PASSWORD}x` },
  })
  assert.equal(mismatch.statusCode, 422)
  assert.equal(mismatch.json().errors[0].field, 'confirm_new_password')

  const weak = await reset(token, 'password1')
  assert.equal(weak.statusCode, 422)
  assert.equal(weak.json().errors[0].field, 'new_password')

  const ok = await reset(token)
  assert.equal(ok.statusCode, 200, ok.body)
  assert.equal(ok.json().data, null, 'no automatic login after a reset')

  for (const s of [s1, s2]) {
    assert.equal((await profile(s.access_token)).statusCode, 401)
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: bearer(s.refresh_token) })).statusCode, 401)
  }
  assert.equal((await loginRes(user.username, user.password)).statusCode, 401)
  const fresh = await loginRes(user.username, NEW_PASSWORD)
  assert.equal(fresh.statusCode, 200)
  assertNoSecrets(fresh)

  const again = await reset(token, 'Another-Fresh-Pass-99')
  assert.equal(again.statusCode, 400)
  assert.equal(again.json().code, 400)
  assert.equal((await loginRes(user.username, 'Another-Fresh-Pass-99')).statusCode, 401)

  // The owner is told that the password changed (R9).
  await smtp.waitFor(user.email, /password was changed/i)
})

test('an expired or unknown reset token fails', async () => {
  const user = await createUser(t)
  assert.equal((await forgot(user.email)).statusCode, 200)
  const token = await resetTokenFromMail(user)
  await t.db.database.db
    .update(passwordResetTokens)
    .set({ expiresAt: new Date(Date.now() - 60_000) })
    .where(eq(passwordResetTokens.userId, user.id))
  const expired = await reset(token)
  assert.equal(expired.statusCode, 400)
  assert.equal((await loginRes(user.username, user.password)).statusCode, 200)

  const unknown = await reset('A'.repeat(43))
  assert.equal(unknown.statusCode, 400)
  assert.deepEqual(unknown.json(), expired.json())
})

test('a password change kills outstanding reset tokens', async () => {
  const user = await createUser(t)
  assert.equal((await forgot(user.email)).statusCode, 200)
  const token = await resetTokenFromMail(user)
  const tokens = await login(t, user)
  const change = await t.app.inject({
    method: 'POST',
    url: '/auth/change-password',
    headers: bearer(tokens.access_token),
    payload: { current_password: user.password, new_password: NEW_PASSWORD, confirm_new_password: NEW_PASSWORD },
  })
  assert.equal(change.statusCode, 200, change.body)
  assert.equal((await reset(token, 'Sneaky-Takeover-Pass-1')).statusCode, 400)
})

for (const url of ['/auth/change-password', '/users/me/change-password']) {
  test(`${url}: needs the current password, revokes the other sessions, keeps the caller's`, async () => {
    const user = await createUser(t)
    const mine = await login(t, user)
    const other = await login(t, user)
    const change = (current: string, next: string, confirm = next) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: bearer(mine.access_token),
        payload: { current_password: current, new_password: next, confirm_new_password: confirm },
      })

    const unauth = await t.app.inject({
      method: 'POST',
      url,
      payload: { current_password: user.password, new_password: NEW_PASSWORD, confirm_new_password: NEW_PASSWORD },
    })
    assert.equal(unauth.statusCode, 401)

    const wrong = await change('Not-The-Current-1', NEW_PASSWORD)
    assert.equal(wrong.statusCode, 422)
    assert.equal(wrong.json().errors[0].field, 'current_password')
    const mismatch = await change(user.password, NEW_PASSWORD, `${NEW_PASSWORD}!`)
    assert.equal(mismatch.statusCode, 422)
    assert.equal(mismatch.json().errors[0].field, 'confirm_new_password')
    const same = await change(user.password, user.password)
    assert.equal(same.statusCode, 422)
    const missing = await t.app.inject({ method: 'POST', url, headers: bearer(mine.access_token), payload: { new_password: NEW_PASSWORD } })
    assert.equal(missing.statusCode, 422)
    assert.ok((missing.json().errors as { field: string }[]).some((e) => e.field === 'current_password'))
    // None of the refusals changed anything.
    assert.equal((await profile(other.access_token)).statusCode, 200)

    const ok = await change(user.password, NEW_PASSWORD)
    assert.equal(ok.statusCode, 200, ok.body)
    assert.equal((await profile(mine.access_token)).statusCode, 200, 'the caller stays logged in')
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: bearer(mine.refresh_token) })).statusCode, 200)
    assert.equal((await profile(other.access_token)).statusCode, 401, 'other sessions are revoked')
    assert.equal((await loginRes(user.username, user.password)).statusCode, 401)
    assert.equal((await loginRes(user.username, NEW_PASSWORD)).statusCode, 200)
    const [row] = await t.db.database.db.select().from(users).where(eq(users.id, user.id))
    assert.match(String(row?.passwordHash), CURRENT_ARGON2)
  })
}

test('legacy hashes (argon2i, argon2id with other parameters, bcrypt $2b$) log in and are upgraded', async () => {
  const legacy: [string, string][] = [
    ['argon2i', await argon2.hash(DEFAULT_PASSWORD, { type: argon2.argon2i, memoryCost: 19_456, timeCost: 2, parallelism: 1 })],
    [
      'argon2id m=65536,t=3,p=4',
      await argon2.hash(DEFAULT_PASSWORD, { type: argon2.argon2id, memoryCost: 65_536, timeCost: 3, parallelism: 4 }),
    ],
    [
      'argon2id m=4096,t=1,p=1',
      await argon2.hash(DEFAULT_PASSWORD, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 }),
    ],
    ['bcrypt $2b$', await bcrypt.hash(DEFAULT_PASSWORD, 10)],
  ]
  assert.ok(legacy[0]?.[1].startsWith('$argon2i$'))
  assert.ok(legacy[3]?.[1].startsWith('$2b$'))
  for (const [what, hash] of legacy) {
    const user = await createUser(t, { passwordHash: hash })
    const readHash = async () => (await t.db.database.db.select().from(users).where(eq(users.id, user.id)))[0]?.passwordHash
    // A wrong password neither logs in nor touches the stored hash.
    assert.equal((await loginRes(user.username, 'Wrong-Password-42')).statusCode, 401, what)
    assert.equal(await readHash(), hash, what)

    const res = await loginRes(user.username, DEFAULT_PASSWORD)
    assert.equal(res.statusCode, 200, `${what}: ${res.body}`)
    assertNoSecrets(res)
    const upgraded = await readHash()
    assert.match(String(upgraded), CURRENT_ARGON2, what)
    assert.notEqual(upgraded, hash)
    // And the upgraded hash keeps working.
    assert.equal((await loginRes(user.email, DEFAULT_PASSWORD)).statusCode, 200, what)
  }
})

test('a hash in the current format is not rewritten at login', async () => {
  const user = await createUser(t)
  const before = (await t.db.database.db.select().from(users).where(eq(users.id, user.id)))[0]?.passwordHash
  assert.equal((await loginRes(user.username, user.password)).statusCode, 200)
  const after = (await t.db.database.db.select().from(users).where(eq(users.id, user.id)))[0]?.passwordHash
  assert.equal(after, before)
})

test('bcrypt never matches on a 72-byte prefix', async () => {
  const long = `${'k'.repeat(72)}-and-more`
  const user = await createUser(t, { passwordHash: await bcrypt.hash(long, 10) })
  assert.equal((await loginRes(user.username, `${'k'.repeat(72)}-something-else`)).statusCode, 401)
})

test('20 parallel forgot-password requests for one account send at most 3 mails an hour', async () => {
  const user = await createUser(t)
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      t.app.inject({ method: 'POST', url: '/auth/forgot-password', payload: { email: user.email }, remoteAddress: `10.20.0.${i + 1}` }),
    ),
  )
  for (const r of answers) assert.equal(r.statusCode, 200, r.body)
  // The work happens after the answers; closing waits for it, so wait for the rows instead.
  await smtp.waitFor(user.email, /reset/i)
  await new Promise((r) => setTimeout(r, 1500))
  const rows = await t.db.database.db.select().from(passwordResetTokens).where(eq(passwordResetTokens.userId, user.id))
  assert.equal(rows.length, 3, `${rows.length} reset tokens issued`)
  const mails = smtp.messages.filter((m) => m.to.some((to) => to.toLowerCase() === user.email.toLowerCase()))
  assert.equal(mails.length, 3, `${mails.length} reset mails sent`)
})
