/**
 * /users: the admin's member management, the member directory, and profile updates as the
 * existing mobile client sends them (multipart, every field, blank password, its own user_type).
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { and, eq } from 'drizzle-orm'
import sharp from 'sharp'
import { auditLog, files, transactions, users } from '../../src/db/schema.js'
import { assertNoSecrets, build, createUser, login, type TestUser, unique, userWithToken } from '../helpers/app.js'
import { startSmtp } from '../helpers/smtp.js'

const smtp = await startSmtp()
const t = await build({ SMTP_URL: smtp.url })
const db = t.db.database.db
const admin = await userWithToken(t, 'admin')

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** A multipart/form-data body as the Ktor client builds it. */
function form(fields: Record<string, string>, file?: { field: string; data: Buffer; type: string }) {
  const boundary = `--form${randomUUID()}`
  const chunks: Buffer[] = []
  for (const [k, v] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`))
  }
  if (file) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="photo.bin"\r\nContent-Type: ${file.type}\r\n\r\n`,
      ),
      file.data,
      Buffer.from('\r\n'),
    )
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

const png = () =>
  sharp({ create: { width: 24, height: 24, channels: 3, background: '#2a7' } })
    .png()
    .toBuffer()

async function row(id: number) {
  const [r] = await db.select().from(users).where(eq(users.id, id))
  return r
}

/** Every field of the profile form, as the client sends it on every save. */
function clientProfileFields(u: TestUser, changes: Record<string, string> = {}) {
  return {
    fullname: `Test ${u.username}`,
    username: u.username,
    email: u.email,
    password: '',
    phone_number: '',
    domisili: '',
    user_type: 'member',
    ...changes,
  }
}

test('admin lists full records with q, user_type, is_active filters and pagination', async () => {
  const tag = unique('zz')
  const a = await createUser(t, { fullname: `Siti ${tag}`, phone: '+6281200000001' })
  const b = await createUser(t, { fullname: `Budi ${tag}`, active: false })
  const c = await createUser(t, { fullname: `Umar ${tag}`, role: 'admin' })

  const all = await t.app.inject({ url: `/users?q=${tag}`, headers: admin.auth })
  assert.equal(all.statusCode, 200, all.body)
  assert.deepEqual(all.json().meta, { page: 1, per_page: 3, total: 3 })
  assert.deepEqual(
    all.json().data.map((u: { id: number }) => u.id),
    [b.id, a.id, c.id],
  )
  const first = all.json().data[0]
  for (const key of ['email', 'phone_number', 'domisili', 'user_type', 'is_active', 'savings_target', 'created_at', 'updated_at']) {
    assert.ok(key in first, key)
  }
  assertNoSecrets(all)

  const page2 = await t.app.inject({ url: `/users?q=${tag.toUpperCase()}&per_page=2&page=2`, headers: admin.auth })
  assert.deepEqual(page2.json().meta, { page: 2, per_page: 2, total: 3 })
  assert.deepEqual(
    page2.json().data.map((u: { id: number }) => u.id),
    [c.id],
  )

  const admins = await t.app.inject({ url: `/users?q=${tag}&user_type=admin`, headers: admin.auth })
  assert.deepEqual(
    admins.json().data.map((u: { id: number }) => u.id),
    [c.id],
  )
  const inactive = await t.app.inject({ url: `/users?q=${tag}&is_active=false`, headers: admin.auth })
  assert.deepEqual(
    inactive.json().data.map((u: { id: number }) => u.id),
    [b.id],
  )
  // Search by email, by stored phone, and by the phone as typed locally (08…).
  for (const q of [a.email.toUpperCase(), '+62812000000', '0812000000']) {
    const res = await t.app.inject({ url: `/users?q=${encodeURIComponent(q)}`, headers: admin.auth })
    assert.ok(
      res.json().data.some((u: { id: number }) => u.id === a.id),
      q,
    )
  }
  // Wildcards in q are literal.
  const wild = await t.app.inject({ url: `/users?q=%25`, headers: admin.auth })
  assert.equal(wild.json().meta.total, 0)

  for (const bad of ['page=0', 'per_page=5000', 'user_type=root', 'is_active=maybe', 'page=1&page=2']) {
    const res = await t.app.inject({ url: `/users?${bad}`, headers: admin.auth })
    assert.equal(res.statusCode, 422, bad)
  }
})

test('member sees only a directory of active members with exactly four keys', async () => {
  const tag = unique('dir')
  const me = await userWithToken(t, 'member')
  const active = await createUser(t, { fullname: `Active ${tag}` })
  const gone = await createUser(t, { fullname: `Inactive ${tag}`, active: false })
  const boss = await createUser(t, { fullname: `Admin ${tag}`, role: 'admin' })

  const res = await t.app.inject({ url: '/users', headers: me.auth })
  assert.equal(res.statusCode, 200, res.body)
  const items = res.json().data as Record<string, unknown>[]
  assert.ok(items.length >= 2)
  for (const item of items) {
    assert.deepEqual(Object.keys(item).sort(), ['fullname', 'id', 'image_profile_url', 'username'])
  }
  const ids = items.map((u) => u.id)
  assert.ok(ids.includes(active.id))
  assert.ok(ids.includes(me.user.id))
  assert.ok(!ids.includes(gone.id))
  assert.ok(!ids.includes(boss.id))
  assert.ok(!res.body.includes('@example.test'))
  assertNoSecrets(res)

  // A member cannot widen the directory with filters, nor probe by email.
  const widened = await t.app.inject({ url: `/users?q=${tag}&is_active=false&user_type=admin`, headers: me.auth })
  assert.deepEqual(
    widened.json().data.map((u: { id: number }) => u.id),
    [active.id],
  )
  const probe = await t.app.inject({ url: `/users?q=${encodeURIComponent(active.email)}`, headers: me.auth })
  assert.equal(probe.json().meta.total, 0)

  assert.equal((await t.app.inject({ url: '/users' })).statusCode, 401)
})

test('GET /users/{id}: admin anyone, member only self (others 404), missing 404', async () => {
  const me = await userWithToken(t, 'member')
  const other = await createUser(t)
  const self = await t.app.inject({ url: `/users/${me.user.id}`, headers: me.auth })
  assert.equal(self.statusCode, 200)
  assert.equal(self.json().data.email, me.user.email)
  assertNoSecrets(self)
  const hidden = await t.app.inject({ url: `/users/${other.id}`, headers: me.auth })
  assert.equal(hidden.statusCode, 404)
  const missing = await t.app.inject({ url: '/users/99999999', headers: me.auth })
  assert.equal(missing.statusCode, 404)
  assert.equal(hidden.body.replace(/\d+/g, ''), missing.body.replace(/\d+/g, ''))
  const byAdmin = await t.app.inject({ url: `/users/${other.id}`, headers: admin.auth })
  assert.equal(byAdmin.statusCode, 200)
  assert.equal(byAdmin.json().data.username, other.username)
  assert.equal((await t.app.inject({ url: '/users/abc', headers: admin.auth })).statusCode, 422)
  assert.equal((await t.app.inject({ url: `/users/${other.id}` })).statusCode, 401)
})

test('POST /users: admin creates an admin (JSON) and a member with an image (multipart)', async () => {
  const name = unique('new')
  const res = await t.app.inject({
    method: 'POST',
    url: '/users',
    headers: admin.auth,
    payload: {
      fullname: 'New Admin',
      username: name,
      email: `${name}@Example.test`,
      password: 'Zamzam-Water-77',
      user_type: 'admin',
      savings_target: '25000000',
    },
  })
  assert.equal(res.statusCode, 201, res.body)
  assert.equal(res.json().data.user_type, 'admin')
  assert.equal(res.json().data.email, `${name}@example.test`)
  assert.equal(res.json().data.savings_target, 25000000)
  assertNoSecrets(res)
  await login(t, { username: name, password: 'Zamzam-Water-77' })
  const [audit] = await db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entityId, res.json().data.id), eq(auditLog.action, 'user.created')))
  assert.equal(audit?.actorId, admin.user.id)

  const m = unique('newm')
  const body = form(
    {
      fullname: 'Member Form',
      username: m,
      email: `${m}@example.test`,
      password: 'Zamzam-Water-77',
      phone_number: '0813 1111 2222',
      domisili: '',
      user_type: 'member',
    },
    { field: 'image_profile', data: await png(), type: 'image/png' },
  )
  const created = await t.app.inject({ method: 'POST', url: '/users', headers: { ...admin.auth, ...body.headers }, payload: body.payload })
  assert.equal(created.statusCode, 201, created.body)
  const data = created.json().data
  assert.equal(data.user_type, 'member')
  assert.equal(data.phone_number, '+6281311112222')
  assert.equal(data.domisili, null)
  assert.match(data.image_profile_url, /\/files\/profiles\/.+\?exp=\d+&sig=/)
  const stored = await row(data.id)
  const [file] = await db.select().from(files).where(eq(files.key, stored!.imageProfileKey!))
  assert.equal(file?.ownerId, data.id)
})

test('POST /users: 401, 403 for members, 409 duplicates, 422 invalid', async () => {
  const member = await userWithToken(t, 'member')
  const name = unique('x')
  const payload = { fullname: 'X', username: name, email: `${name}@example.test`, password: 'Zamzam-Water-77' }
  assert.equal((await t.app.inject({ method: 'POST', url: '/users', payload })).statusCode, 401)
  const denied = await t.app.inject({ method: 'POST', url: '/users', headers: member.auth, payload: { ...payload, user_type: 'admin' } })
  assert.equal(denied.statusCode, 403)
  assert.equal((await db.select().from(users).where(eq(users.username, name))).length, 0)

  const dupEmail = await t.app.inject({
    method: 'POST',
    url: '/users',
    headers: admin.auth,
    payload: { ...payload, email: member.user.email.toUpperCase() },
  })
  assert.equal(dupEmail.statusCode, 409)
  assert.equal(dupEmail.json().errors[0].field, 'email')
  const dupName = await t.app.inject({
    method: 'POST',
    url: '/users',
    headers: admin.auth,
    payload: { ...payload, username: member.user.username.toUpperCase() },
  })
  assert.equal(dupName.statusCode, 409)

  for (const bad of [
    { ...payload, password: 'short' },
    { ...payload, password: 'password123' },
    { ...payload, email: 'not-an-email' },
    { ...payload, phone_number: '12' },
    { ...payload, user_type: 'root' },
    { ...payload, savings_target: '-5' },
    { fullname: 'X', username: name },
  ]) {
    const res = await t.app.inject({ method: 'POST', url: '/users', headers: admin.auth, payload: bad })
    assert.equal(res.statusCode, 422, JSON.stringify(bad))
  }
})

test("the client's exact multipart profile update (every field, blank password, own user_type) succeeds", async () => {
  const me = await userWithToken(t, 'member')
  const before = await row(me.user.id)
  const body = form(clientProfileFields(me.user, { fullname: 'Fatimah Updated', phone_number: '081234567801', domisili: 'Bandung' }), {
    field: 'image_profile',
    data: await png(),
    type: 'image/jpeg', // what the client claims is irrelevant; the bytes decide
  })
  const res = await t.app.inject({
    method: 'PUT',
    url: '/users/me/update',
    headers: { ...me.auth, ...body.headers },
    payload: body.payload,
  })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.json().message, 'User updated')
  const data = res.json().data
  assert.equal(data.fullname, 'Fatimah Updated')
  assert.equal(data.phone_number, '+6281234567801')
  assert.equal(data.domisili, 'Bandung')
  assert.equal(data.user_type, 'member')
  assert.ok(data.image_profile_url)
  assertNoSecrets(res)
  const after = await row(me.user.id)
  assert.equal(after?.passwordHash, before?.passwordHash)
  // Session still valid, and the same form again (now unchanged) is still fine.
  const again = form(clientProfileFields(me.user, { fullname: 'Fatimah Updated', phone_number: '+6281234567801' }))
  const res2 = await t.app.inject({
    method: 'PUT',
    url: `/users/${me.user.id}`,
    headers: { ...me.auth, ...again.headers },
    payload: again.payload,
  })
  assert.equal(res2.statusCode, 200, res2.body)
  // The phone change was announced to the owner (SECURITY R9).
  await smtp.waitFor(me.user.email, /phone number/)
})

test('a member can never become admin (nor change admin-only fields) through any update path: 403, nothing changed', async () => {
  const me = await userWithToken(t, 'member')
  const attempts: { method: 'PUT' | 'PATCH'; url: string; kind: 'json' | 'form' }[] = []
  for (const kind of ['json', 'form'] as const) {
    attempts.push({ method: 'PUT', url: `/users/${me.user.id}`, kind })
    attempts.push({ method: 'PATCH', url: `/users/${me.user.id}`, kind })
    attempts.push({ method: 'PUT', url: '/users/me/update', kind })
  }
  const tries: Record<string, string>[] = [{ user_type: 'admin' }, { user_type: 'Admin' }, { is_active: 'false' }, { savings_target: '1' }]
  for (const a of attempts) {
    for (const extra of tries) {
      // A legitimate change rides along: it must not be applied either.
      const fields = { fullname: 'Should Not Apply', username: unique('stolen'), ...extra }
      const req =
        a.kind === 'json'
          ? { headers: me.auth, payload: extra.is_active ? { ...fields, is_active: false } : fields }
          : (() => {
              const f = form(fields)
              return { headers: { ...me.auth, ...f.headers }, payload: f.payload }
            })()
      const res = await t.app.inject({ method: a.method, url: a.url, ...req })
      const what = `${a.method} ${a.url} ${a.kind} ${JSON.stringify(extra)}`
      assert.equal(res.statusCode, 403, `${what}: ${res.body}`)
      assert.equal(res.json().data, null)
      assert.match(res.json().message, new RegExp(`Only an admin can change ${Object.keys(extra)[0]}`), what)
      const r = await row(me.user.id)
      assert.equal(r?.userType, 'member', what)
      assert.equal(r?.isActive, true)
      assert.equal(r?.username, me.user.username)
      assert.notEqual(r?.fullname, 'Should Not Apply')
      assert.equal(r?.savingsTarget, null)
    }
  }
  // The app sends its own user_type on every profile save: equal to the stored one, it is no change.
  const same = form(clientProfileFields(me.user, { user_type: 'member', fullname: 'Same Type' }))
  const ok = await t.app.inject({ method: 'PUT', url: '/users/me/update', headers: { ...me.auth, ...same.headers }, payload: same.payload })
  assert.equal(ok.statusCode, 200, ok.body)
  assert.equal(ok.json().data.fullname, 'Same Type')
  // The member's token still gets 403 on admin routes: nothing changed server-side.
  const still = await t.app.inject({ method: 'POST', url: '/periodes', headers: me.auth, payload: {} })
  assert.equal(still.statusCode, 403)
})

test("a member's Edit Profile changes their own username and email (normalised, unique, both addresses told)", async () => {
  const me = await userWithToken(t, 'member')
  const other = await createUser(t)
  const newUsername = unique('Renamed')
  const newEmail = `${unique('New.Mail')}@Example.test`
  const body = form(clientProfileFields(me.user, { username: newUsername, email: newEmail }))
  const res = await t.app.inject({
    method: 'PUT',
    url: '/users/me/update',
    headers: { ...me.auth, ...body.headers },
    payload: body.payload,
  })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.json().data.username, newUsername)
  assert.equal(res.json().data.email, newEmail.toLowerCase())
  const r = await row(me.user.id)
  assert.equal(r?.username, newUsername)
  assert.equal(r?.email, newEmail.toLowerCase())
  await smtp.waitFor(me.user.email, /email address/)
  await smtp.waitFor(newEmail.toLowerCase(), /email address/)
  // The profile the app re-reads shows the change.
  const profile = await t.app.inject({ url: '/auth/profile', headers: me.auth })
  assert.equal(profile.json().data.username, newUsername)

  // Someone else's username or email: a 409 that says so, and nothing changes.
  for (const [field, value, message] of [
    ['username', other.username.toUpperCase(), 'Username is already in use'],
    ['email', other.email, 'Email is already in use'],
  ] as const) {
    const taken = form(clientProfileFields(me.user, { username: newUsername, email: newEmail, [field]: value, fullname: 'Not Applied' }))
    const res2 = await t.app.inject({
      method: 'PUT',
      url: '/users/me/update',
      headers: { ...me.auth, ...taken.headers },
      payload: taken.payload,
    })
    assert.equal(res2.statusCode, 409, res2.body)
    assert.equal(res2.json().message, message)
    assert.equal(res2.json().data, null)
    assert.deepEqual(res2.json().errors, [{ field, message: 'is already in use' }])
    assert.notEqual((await row(me.user.id))?.fullname, 'Not Applied')
  }
  // An invalid username is a 422 naming it, not a silent 200.
  const bad = form(clientProfileFields(me.user, { username: 'no spaces allowed', email: newEmail }))
  const res3 = await t.app.inject({ method: 'PUT', url: '/users/me/update', headers: { ...me.auth, ...bad.headers }, payload: bad.payload })
  assert.equal(res3.statusCode, 422, res3.body)
  assert.match(res3.json().message, /^Username /)
})

test("member: a non-blank password is 403; another user's record is 404", async () => {
  const me = await userWithToken(t, 'member')
  const other = await createUser(t)
  const before = await row(me.user.id)
  const json = await t.app.inject({
    method: 'PUT',
    url: '/users/me/update',
    headers: me.auth,
    payload: { password: 'Another-Strong-Pass-1' },
  })
  assert.equal(json.statusCode, 403)
  const f = form(clientProfileFields(me.user, { password: 'Another-Strong-Pass-1' }))
  const multi = await t.app.inject({
    method: 'PATCH',
    url: `/users/${me.user.id}`,
    headers: { ...me.auth, ...f.headers },
    payload: f.payload,
  })
  assert.equal(multi.statusCode, 403)
  assert.equal((await row(me.user.id))?.passwordHash, before?.passwordHash)

  for (const method of ['PUT', 'PATCH'] as const) {
    const res = await t.app.inject({ method, url: `/users/${other.id}`, headers: me.auth, payload: { fullname: 'Hacked' } })
    assert.equal(res.statusCode, 404)
  }
  assert.notEqual((await row(other.id))?.fullname, 'Hacked')
  assert.equal((await t.app.inject({ method: 'PUT', url: '/users/me/update', payload: { fullname: 'x' } })).statusCode, 401)
})

test('updates: 409 for taken email/username/phone, 422 for invalid values, 415 for a non-image', async () => {
  const me = await userWithToken(t, 'member')
  const other = await createUser(t, { phone: '+6281399990000' })
  const taken = await t.app.inject({ method: 'PUT', url: '/users/me/update', headers: me.auth, payload: { phone_number: '081399990000' } })
  assert.equal(taken.statusCode, 409)
  for (const payload of [{ email: other.email.toUpperCase() }, { username: other.username.toUpperCase() }]) {
    const res = await t.app.inject({ method: 'PUT', url: `/users/${me.user.id}`, headers: admin.auth, payload })
    assert.equal(res.statusCode, 409, JSON.stringify(payload))
  }
  for (const payload of [{ phone_number: 'abc' }, { fullname: 'x'.repeat(101) }, { is_active: 'no' }, { user_type: 'root' }]) {
    const res = await t.app.inject({ method: 'PUT', url: `/users/${me.user.id}`, headers: admin.auth, payload })
    assert.equal(res.statusCode, 422, JSON.stringify(payload))
  }
  for (const payload of [{ username: 'a@b' }, { email: 'nope' }, { password: 'short' }, { savings_target: '0.001' }]) {
    const res = await t.app.inject({ method: 'PUT', url: `/users/${me.user.id}`, headers: admin.auth, payload })
    assert.equal(res.statusCode, 422, JSON.stringify(payload))
  }
  const f = form(
    { fullname: 'Text Image' },
    { field: 'image_profile', data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), type: 'image/png' },
  )
  const bad = await t.app.inject({ method: 'PUT', url: '/users/me/update', headers: { ...me.auth, ...f.headers }, payload: f.payload })
  assert.equal(bad.statusCode, 415)
  assert.notEqual((await row(me.user.id))?.fullname, 'Text Image')
  const missing = await t.app.inject({ method: 'PUT', url: '/users/99999999', headers: admin.auth, payload: { fullname: 'x' } })
  assert.equal(missing.statusCode, 404)
})

test('admin update: password, savings target, role with audit, deactivation ends sessions, email change mailed', async () => {
  const target = await userWithToken(t, 'member')
  const pw = await t.app.inject({
    method: 'PATCH',
    url: `/users/${target.user.id}`,
    headers: admin.auth,
    payload: { password: 'Fresh-Password-2026' },
  })
  assert.equal(pw.statusCode, 200, pw.body)
  assertNoSecrets(pw)
  // Setting a password ends the user's sessions; the new password works.
  assert.equal((await t.app.inject({ url: '/auth/profile', headers: target.auth })).statusCode, 401)
  const relog = await login(t, { username: target.user.username, password: 'Fresh-Password-2026' })

  const st = await t.app.inject({
    method: 'PUT',
    url: `/users/${target.user.id}`,
    headers: admin.auth,
    payload: { savings_target: 30000000.5 },
  })
  assert.equal(st.json().data.savings_target, 30000000.5)
  assert.equal((await row(target.user.id))?.savingsTarget, '30000000.50')
  const cleared = await t.app.inject({
    method: 'PUT',
    url: `/users/${target.user.id}`,
    headers: admin.auth,
    payload: { savings_target: null },
  })
  assert.equal(cleared.json().data.savings_target, null)

  const promoted = await t.app.inject({
    method: 'PUT',
    url: `/users/${target.user.id}`,
    headers: admin.auth,
    payload: { user_type: 'admin' },
  })
  assert.equal(promoted.json().data.user_type, 'admin')
  const roleAudit = await db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entityId, target.user.id), eq(auditLog.action, 'user.role_changed')))
  assert.deepEqual(roleAudit[0]?.details, { from: 'member', to: 'admin' })
  assert.equal(roleAudit[0]?.actorId, admin.user.id)

  const newEmail = `${unique('moved')}@example.test`
  const moved = await t.app.inject({ method: 'PUT', url: `/users/${target.user.id}`, headers: admin.auth, payload: { email: newEmail } })
  assert.equal(moved.json().data.email, newEmail)
  await smtp.waitFor(target.user.email, /email address/)
  await smtp.waitFor(newEmail, /email address/)

  const off = await t.app.inject({ method: 'PUT', url: `/users/${target.user.id}`, headers: admin.auth, payload: { is_active: false } })
  assert.equal(off.statusCode, 200)
  assert.equal(off.json().data.is_active, false)
  assert.equal((await t.app.inject({ url: '/auth/profile', headers: bearer(relog.access_token) })).statusCode, 401)
  const deact = await db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entityId, target.user.id), eq(auditLog.action, 'user.deactivated')))
  assert.equal(deact.length, 1)
  const relogin = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { identifier: newEmail, password: 'Fresh-Password-2026' },
  })
  assert.equal(relogin.statusCode, 401)
})

test('the last active admin cannot be demoted or deactivated', async () => {
  // Make `solo` the only active admin for the duration of this test.
  const solo = await userWithToken(t, 'admin')
  const others = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.userType, 'admin'), eq(users.isActive, true)))
  const parked = others.map((o) => o.id).filter((id) => id !== solo.user.id)
  for (const id of parked) await db.update(users).set({ isActive: false }).where(eq(users.id, id))
  try {
    for (const payload of [{ user_type: 'member' }, { is_active: false }]) {
      const res = await t.app.inject({ method: 'PUT', url: '/users/me/update', headers: solo.auth, payload })
      assert.equal(res.statusCode, 409, JSON.stringify(payload))
    }
    const r = await row(solo.user.id)
    assert.equal(r?.userType, 'admin')
    assert.equal(r?.isActive, true)
    // With a second active admin, demotion is allowed.
    const second = await createUser(t, { role: 'admin' })
    const res = await t.app.inject({ method: 'PATCH', url: `/users/${second.id}`, headers: solo.auth, payload: { user_type: 'member' } })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().data.user_type, 'member')
  } finally {
    for (const id of parked) await db.update(users).set({ isActive: true }).where(eq(users.id, id))
  }
})

test('DELETE /users/{id}: removed, anonymised when money records exist; 401/403/404', async () => {
  const member = await userWithToken(t, 'member')
  const plain = await createUser(t)
  const saver = await createUser(t)
  await db.insert(transactions).values({ amount: '100.00', transactionDate: new Date(), userId: saver.id, reportedBy: saver.id })

  assert.equal((await t.app.inject({ method: 'DELETE', url: `/users/${plain.id}` })).statusCode, 401)
  assert.equal((await t.app.inject({ method: 'DELETE', url: `/users/${plain.id}`, headers: member.auth })).statusCode, 403)
  assert.equal((await t.app.inject({ method: 'DELETE', url: `/users/${admin.user.id}`, headers: admin.auth })).statusCode, 403)

  const del = await t.app.inject({ method: 'DELETE', url: `/users/${plain.id}`, headers: admin.auth })
  assert.equal(del.statusCode, 200)
  assert.equal(await row(plain.id), undefined)
  const anon = await t.app.inject({ method: 'DELETE', url: `/users/${saver.id}`, headers: admin.auth })
  assert.equal(anon.statusCode, 200)
  assert.match(anon.json().message, /anonymised/)
  const kept = await row(saver.id)
  assert.equal(kept?.isActive, false)
  assert.equal(kept?.email, null)
  assert.equal((await t.app.inject({ url: `/users/${saver.id}`, headers: admin.auth })).statusCode, 404)
  assert.equal((await t.app.inject({ method: 'DELETE', url: `/users/${plain.id}`, headers: admin.auth })).statusCode, 404)
})

test('the OpenAPI document lists every /users, /periodes and /payments operation, GETs included', async () => {
  const doc = (await t.app.inject({ url: '/openapi.json' })).json()
  const expected: Record<string, string[]> = {
    '/users': ['get', 'post'],
    '/users/{id}': ['delete', 'get', 'patch', 'put'],
    '/users/me/update': ['put'],
    '/periodes': ['get', 'post'],
    '/periodes/{id}': ['delete', 'get', 'put'],
    '/payments': ['get', 'post'],
    '/payments/{id}': ['delete', 'get', 'put'],
  }
  for (const [path, methods] of Object.entries(expected)) {
    assert.deepEqual(Object.keys(doc.paths[path] ?? {}).sort(), methods, path)
  }
  const form = doc.paths['/users/me/update'].put.requestBody.content['multipart/form-data'].schema
  assert.equal(form.properties.image_profile.format, 'binary')
})
