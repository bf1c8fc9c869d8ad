/**
 * The existing mobile app, end to end: every call of ../shared/CLIENT.md replayed as its Ktor
 * client builds it (relative paths, multipart with unquoted part names, Kotlin Double.toString()
 * amounts, Instant.toString() dates, no body on refresh) and every answer decoded by the app's DTO
 * rules, as a member and as an admin. Runs on PGlite and on PostgreSQL (TEST_DATABASE_URL).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { InjectOptions } from 'fastify'
import sharp from 'sharp'
import { build, createUser, DEFAULT_PASSWORD, unique } from '../helpers/app.js'
import {
  appError,
  dataResponse,
  kotlinDouble,
  ktorMultipart,
  listOf,
  paymentDto,
  periodeDto,
  refreshAnswer,
  transactionDto,
  userDto,
} from '../helpers/mobile-app.js'
import { makePayment, makePeriode } from './transactions.fixtures.js'

const t = await build()

/** The app's base URL ends with a slash and its paths have none in front. */
type Call = { method?: 'GET' | 'POST' | 'PUT' | 'DELETE'; token?: string; json?: unknown; form?: ReturnType<typeof ktorMultipart> }
async function call(path: string, c: Call = {}) {
  const headers: Record<string, string> = {}
  if (c.token) headers.authorization = `Bearer ${c.token}`
  let payload: string | Buffer | undefined
  if (c.json !== undefined) {
    headers['content-type'] = 'application/json'
    payload = JSON.stringify(c.json)
  }
  if (c.form) {
    Object.assign(headers, c.form.headers)
    payload = c.form.payload
  }
  const res = await t.app.inject({ method: c.method ?? 'GET', url: `/${path}`, headers, ...(payload !== undefined ? { payload } : {}) })
  return { status: res.statusCode, body: res.json() as Record<string, unknown>, headers: res.headers }
}

const photo = (shade: number) =>
  sharp({ create: { width: 320, height: 240, channels: 3, background: { r: shade, g: 120, b: 200 - shade } } })
    .jpeg({ quality: 80 })
    .toBuffer()

/** The Add-user / Edit-profile form: every field always present, blanks for what was not filled. */
function profileForm(
  values: Partial<Record<'fullname' | 'username' | 'email' | 'password' | 'phone_number' | 'domisili' | 'user_type', string>>,
  image?: Buffer,
) {
  const fields = { fullname: '', username: '', email: '', password: '', phone_number: '', domisili: '', user_type: '', ...values }
  return ktorMultipart(fields, image ? [{ name: 'image_profile', filename: 'profile.jpg', contentType: 'image/jpg', data: image }] : [])
}

async function appLogin(identifier: string, password: string) {
  const res = await call('auth/login', { method: 'POST', json: { identifier, password } })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  const data = dataResponse(res.body, 'login') as Record<string, unknown>
  assert.ok(typeof data.access_token === 'string' && typeof data.refresh_token === 'string')
  userDto(data.user, 'login.user')
  return { access: data.access_token as string, refresh: data.refresh_token as string, user: data.user as { id: number } }
}

/** An image URL as the app loads it later from its local database: no Authorization header. */
async function loadImage(url: unknown) {
  assert.equal(typeof url, 'string')
  const u = new URL(url as string)
  const res = await t.app.inject({ url: `${u.pathname}${u.search}` })
  return res.statusCode
}

const adminRow = await createUser(t, { role: 'admin' })
const periode = await makePeriode(t, '2026-11-01', '2026-11-30')
const payment = await makePayment(t)

test('the app, end to end: an admin adds members, a member deposits, both list, edit, refresh and see their images', async () => {
  const admin = await appLogin(adminRow.username, DEFAULT_PASSWORD)

  // --- Admin: the Add-user screen (POST auth/register, multipart, lower-case user_type) ---
  const siti = unique('siti')
  const added = await call('auth/register', {
    method: 'POST',
    token: admin.access,
    form: profileForm(
      {
        fullname: 'Siti Aminah',
        username: siti,
        email: `${siti}@example.test`,
        password: 'Kiswah-Makkah-2026',
        phone_number: '081234500001',
        user_type: 'member',
      },
      await photo(10),
    ),
  })
  assert.equal(added.status, 201, JSON.stringify(added.body))
  const sitiUser = dataResponse(added.body, 'register') as Record<string, unknown>
  userDto(sitiUser)
  assert.equal(await loadImage(sitiUser.image_profile_url), 200)
  const family = unique('ahmad')
  const addedFamily = await call('auth/register', {
    method: 'POST',
    token: admin.access,
    form: profileForm({
      fullname: 'Ahmad',
      username: family,
      email: `${family}@example.test`,
      password: 'Kiswah-Makkah-2026',
      user_type: 'member',
    }),
  })
  assert.equal(addedFamily.status, 201, JSON.stringify(addedFamily.body))
  const familyUser = dataResponse(addedFamily.body, 'register') as { id: number }

  // The same username again, and a bad phone: errors the app can show as they are.
  const again = await call('auth/register', {
    method: 'POST',
    token: admin.access,
    form: profileForm({
      fullname: 'Siti Dua',
      username: siti.toUpperCase(),
      email: `${unique('x')}@example.test`,
      password: 'Kiswah-Makkah-2026',
    }),
  })
  assert.equal(again.status, 409)
  assert.equal(appError(again.body, 'duplicate username'), 'Username is already in use')
  const badPhone = await call('auth/register', {
    method: 'POST',
    token: admin.access,
    form: profileForm({
      fullname: 'X',
      username: unique('x'),
      email: `${unique('x')}@example.test`,
      password: 'Kiswah-Makkah-2026',
      phone_number: '12ab',
    }),
  })
  assert.equal(badPhone.status, 422)
  assert.equal(appError(badPhone.body, 'bad phone'), 'Phone number must look like 0812… or +62812…')

  // --- Member: login, profile, the lists the home screen loads ---
  const member = await appLogin(siti, 'Kiswah-Makkah-2026')
  const profile = await call('auth/profile', { token: member.access })
  userDto(dataResponse(profile.body, 'profile'))
  listOf(dataResponse((await call('periodes', { token: member.access })).body, 'periodes'), periodeDto, 'periodes')
  listOf(dataResponse((await call('payments', { token: member.access })).body, 'payments'), paymentDto, 'payments')
  const directory = listOf(dataResponse((await call('users', { token: member.access })).body, 'users'), userDto, 'users')
  assert.ok(directory.some((u) => u.id === familyUser.id))

  // --- Member: deposits as the app writes them (Double.toString amounts, Instant.toString dates) ---
  const receipt = await photo(40)
  const deposit = async (owner: number, amount: number, file = receipt) => {
    const res = await call('transactions/', {
      method: 'POST',
      token: member.access,
      form: ktorMultipart(
        {
          userId: String(owner),
          reportedByUserId: String(member.user.id),
          amount: kotlinDouble(amount),
          transaction_date: '2026-11-28T01:30:00Z',
          periode_id: String(periode.id),
          payment_id: String(payment.id),
        },
        [{ name: 'file', filename: 'bukti_transfer.jpg', contentType: 'image/jpeg', data: file }],
      ),
    })
    assert.equal(res.status, 201, `${kotlinDouble(amount)}: ${JSON.stringify(res.body)}`)
    const tx = dataResponse(res.body, 'deposit') as Record<string, unknown>
    transactionDto(tx)
    assert.equal(tx.amount, amount)
    return tx
  }
  assert.equal(kotlinDouble(1_500_000), '1500000.0')
  assert.equal(kotlinDouble(10_000_000), '1.0E7')
  assert.equal(kotlinDouble(12_500_000), '1.25E7')
  const small = await deposit(member.user.id, 1_500_000)
  const tenMillion = await deposit(member.user.id, 10_000_000, await photo(41))
  const big = await deposit(member.user.id, 12_500_000, await photo(42))
  // A "collective" deposit: one POST per member with the same file.
  const forFamily = await deposit(familyUser.id, 2_750_000.5)
  assert.equal(await loadImage(big.bukti_transfer_url), 200)

  // A refused amount is an error the app can show.
  const zero = await call('transactions/', {
    method: 'POST',
    token: member.access,
    form: ktorMultipart({ userId: String(member.user.id), amount: '0.0', transaction_date: '2026-11-28T01:30:00Z' }, [
      { name: 'file', filename: 'b.jpg', contentType: 'image/jpeg', data: receipt },
    ]),
  })
  assert.equal(zero.status, 422)
  assert.match(appError(zero.body, 'zero amount'), /^Amount /)

  // --- Lists as the app calls them: no page, optional filters; every deposit, every DTO valid ---
  const mine = listOf(
    dataResponse((await call('transactions', { token: member.access })).body, 'transactions'),
    transactionDto,
    'transactions',
  )
  assert.deepEqual(mine.map((x) => x.id).sort(), [small.id, tenMillion.id, big.id, forFamily.id].sort())
  for (const query of [`periode_id=${periode.id}`, 'status=sent', `payment_id=${payment.id}`]) {
    const rows = listOf(dataResponse((await call(`transactions?${query}`, { token: member.access })).body, query), transactionDto, query)
    assert.equal(rows.length, 4, query)
  }
  for (const x of mine) assert.equal(await loadImage(x.bukti_transfer_url), 200)

  // --- Member: Edit Profile changes username and email; the app re-reads the profile ---
  const renamed = unique('sitiBaru')
  const edit = await call('users/me/update', {
    method: 'PUT',
    token: member.access,
    form: profileForm(
      {
        fullname: 'Siti Aminah Baru',
        username: renamed,
        email: `${renamed}@example.test`,
        phone_number: '081234500001',
        user_type: 'member',
      },
      await photo(70),
    ),
  })
  assert.equal(edit.status, 200, JSON.stringify(edit.body))
  userDto(dataResponse(edit.body, 'edit profile'))
  const reread = dataResponse((await call('auth/profile', { token: member.access })).body, 'profile') as Record<string, unknown>
  assert.equal(reread.username, renamed)
  assert.equal(reread.email, `${renamed}@example.test`.toLowerCase())
  assert.equal(await loadImage(reread.image_profile_url), 200)

  // --- Admin: change a role from the app (the dropdown's "Admin" / "Member") ---
  for (const label of ['Admin', 'Member']) {
    const res = await call(`users/${member.user.id}`, {
      method: 'PUT',
      token: admin.access,
      form: profileForm({ fullname: 'Siti Aminah Baru', username: renamed, email: `${renamed}@example.test`, user_type: label }),
    })
    assert.equal(res.status, 200, `${label}: ${JSON.stringify(res.body)}`)
    assert.equal((dataResponse(res.body, 'role change') as { user_type: string }).user_type, label.toLowerCase())
  }

  // --- Admin: the same lists, everything visible ---
  const all = listOf(
    dataResponse((await call('transactions', { token: admin.access })).body, 'admin transactions'),
    transactionDto,
    'admin',
  )
  assert.ok([small.id, big.id, forFamily.id].every((id) => all.some((x) => x.id === id)))
  listOf(dataResponse((await call('users', { token: admin.access })).body, 'admin users'), userDto, 'admin users')

  // --- Refresh: Bearer refresh token, no body, decoded without the envelope ---
  const refreshed = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: { authorization: `Bearer ${member.refresh}` } })
  assert.equal(refreshed.statusCode, 200, refreshed.body)
  const tokens = refreshAnswer(refreshed.json())
  dataResponse(refreshed.json(), 'refresh (in the envelope too)')
  assert.equal((await call('auth/profile', { token: tokens.access_token })).status, 200)
  // It keeps its first refresh token forever: that one still works.
  const second = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: { authorization: `Bearer ${member.refresh}` } })
  refreshAnswer(second.json(), 'second refresh')

  // --- A 401 the app decodes before it refreshes ---
  const unauth = await call('transactions', { token: 'not-a-token' })
  assert.equal(unauth.status, 401)
  appError(unauth.body, '401')

  // --- Change password: errors it can show, success is code == 200 ---
  const wrong = await call('users/me/change-password', {
    method: 'POST',
    token: member.access,
    json: { current_password: 'not-my-password', new_password: 'Arafah-Mina-2027', confirm_new_password: 'Arafah-Mina-2027' },
  })
  assert.equal(wrong.status, 422)
  assert.equal(appError(wrong.body, 'wrong current password'), 'The current password is incorrect')
  const common = await call('users/me/change-password', {
    method: 'POST',
    token: member.access,
    json: { current_password: 'Kiswah-Makkah-2026', new_password: 'password123', confirm_new_password: 'password123' },
  })
  assert.equal(common.status, 422)
  assert.match(appError(common.body, 'common password'), /^This password is too common/)
  const changed = await call('users/me/change-password', {
    method: 'POST',
    token: member.access,
    json: { current_password: 'Kiswah-Makkah-2026', new_password: 'Arafah-Mina-2027', confirm_new_password: 'Arafah-Mina-2027' },
  })
  assert.equal(changed.body.code, 200, JSON.stringify(changed.body))
  dataResponse(changed.body, 'change password')
})

test('errors the framework itself produces decode in the app: data null and a message', async () => {
  const cases: { what: string; status: number; req: InjectOptions }[] = [
    {
      what: 'malformed JSON',
      status: 400,
      req: { method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"identifier": ' },
    },
    { what: 'unknown route', status: 404, req: { url: '/nothing-here' } },
    { what: 'wrong method', status: 405, req: { method: 'DELETE', url: '/auth/login' } },
    {
      what: 'unsupported content type',
      status: 415,
      req: { method: 'POST', url: '/auth/login', headers: { 'content-type': 'text/xml' }, payload: '<a/>' },
    },
    {
      what: 'body too large',
      status: 413,
      req: {
        method: 'POST',
        url: '/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: `{"identifier":"${'a'.repeat(2 * 1024 * 1024)}"}`,
      },
    },
    { what: 'path parameter too long', status: 414, req: { url: `/users/${'9'.repeat(300)}` } },
    { what: 'malformed percent-encoding', status: 400, req: { url: '/users/%E0%A4%A' } },
    {
      what: 'missing fields',
      status: 422,
      req: { method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: '{}' },
    },
  ]
  for (const c of cases) {
    const res = await t.app.inject(c.req)
    assert.equal(res.statusCode, c.status, `${c.what}: ${res.body}`)
    const message = appError(res.json(), c.what)
    assert.match(message, /^[A-Z]/, `${c.what}: a sentence`)
  }
  const missing = await t.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: '{}' })
  assert.equal(missing.json().message, 'Identifier is required')
  assert.deepEqual(
    missing.json().errors.map((e: { field: string }) => e.field),
    ['identifier', 'password'],
  )
})

test('GET / answers what the server is and where its documentation lives', async () => {
  const res = await call('')
  assert.equal(res.status, 200)
  const data = dataResponse(res.body, 'root') as Record<string, unknown>
  assert.equal(data.name, 'Talangraga Umroh API')
  assert.match(String(data.version), /^\d+\.\d+\.\d+/)
  assert.equal(data.docs, '/docs')
  assert.equal((await t.app.inject({ url: String(data.openapi) })).statusCode, 200)
})
