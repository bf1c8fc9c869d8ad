/**
 * Registration (JSON and the client's multipart form), identity uniqueness across letter case and
 * phone formats, login by each identifier, indistinguishable login failures, and input validation.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { eq } from 'drizzle-orm'
import sharp from 'sharp'
import { files, users } from '../../src/db/schema.js'
import { assertNoSecrets, build, createUser, DEFAULT_PASSWORD, unique, userWithToken } from '../helpers/app.js'

const t = await build()

/** A multipart/form-data body built by hand, as the Ktor client sends it. */
function multipart(fields: Record<string, string>, file?: { name: string; filename: string; type: string; data: Buffer }) {
  const boundary = `----talangraga${randomBytes(8).toString('hex')}`
  const parts: Buffer[] = []
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`))
  }
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`,
      ),
      file.data,
      Buffer.from('\r\n'),
    )
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

/** A small real PNG, made from raw pixels. */
const png = () =>
  sharp(Buffer.alloc(8 * 8 * 3, 180), { raw: { width: 8, height: 8, channels: 3 } })
    .png()
    .toBuffer()

let phoneSeq = 0
/** A unique Indonesian mobile number in local format (0812...). */
function localPhone() {
  phoneSeq += 1
  // Fixed-width parts: concatenating variable-width numbers and cutting to 8 digits let two
  // numbers of one run coincide (pid 1234, seq 1, ms 234 and seq 12, ms 34), a flaky 409.
  const tail = `${String(process.pid % 10_000).padStart(4, '0')}${String(phoneSeq % 10_000).padStart(4, '0')}`
  return `0812${tail}`
}

function newUser(overrides: Record<string, string> = {}) {
  const username = unique('Reg')
  return {
    fullname: 'Siti Aminah',
    username,
    email: `${username.toLowerCase()}@Example.test`,
    password: DEFAULT_PASSWORD,
    phone_number: localPhone(),
    domisili: 'Bandung',
    ...overrides,
  }
}

const register = (payload: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/auth/register', payload, headers })

const loginAs = (identifier: string, password = DEFAULT_PASSWORD, remoteAddress?: string) =>
  t.app.inject({ method: 'POST', url: '/auth/login', payload: { identifier, password }, ...(remoteAddress ? { remoteAddress } : {}) })

test('register by JSON creates a member with normalised identity and no secrets in the answer', async () => {
  const input = newUser()
  const res = await register(input)
  assert.equal(res.statusCode, 201, res.body)
  assertNoSecrets(res)
  const user = res.json().data
  assert.equal(res.json().code, 201)
  assert.equal(user.username, input.username)
  assert.equal(user.email, input.email.toLowerCase())
  assert.equal(user.phone_number, `+62${input.phone_number.slice(1)}`)
  assert.equal(user.domisili, 'Bandung')
  assert.equal(user.user_type, 'member')
  assert.equal(user.is_active, true)
  assert.equal(user.image_profile_url, null)
  const [row] = await t.db.database.db.select().from(users).where(eq(users.id, user.id))
  assert.match(String(row?.passwordHash), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
})

test('register by multipart form, with and without a profile image', async () => {
  const input = newUser({ user_type: 'member' })
  const plain = multipart(input)
  const res = await t.app.inject({ method: 'POST', url: '/auth/register', ...plain })
  assert.equal(res.statusCode, 201, res.body)
  assertNoSecrets(res)
  assert.equal(res.json().data.username, input.username)
  assert.equal(res.json().data.image_profile_url, null)

  const withImage = newUser({ domisili: '' })
  const form = multipart(withImage, { name: 'image_profile', filename: 'me.png', type: 'image/png', data: await png() })
  const res2 = await t.app.inject({ method: 'POST', url: '/auth/register', ...form })
  assert.equal(res2.statusCode, 201, res2.body)
  assertNoSecrets(res2)
  const user = res2.json().data
  assert.equal(user.domisili, null, 'a blank form field means "not provided"')
  assert.ok(user.image_profile_url, 'profile image URL present')
  const [file] = await t.db.database.db.select().from(files).where(eq(files.ownerId, user.id))
  assert.equal(file?.kind, 'profile')
  assert.equal(file?.contentType, 'image/png')
  const img = await t.app.inject({ method: 'GET', url: user.image_profile_url.replace(/^https?:\/\/[^/]+/, '') })
  assert.equal(img.statusCode, 200)
})

test('a profile "image" that is not an image is 415 and creates nobody', async () => {
  const input = newUser()
  const form = multipart(input, { name: 'image_profile', filename: 'me.png', type: 'image/png', data: Buffer.from('<svg></svg>') })
  const res = await t.app.inject({ method: 'POST', url: '/auth/register', ...form })
  assert.equal(res.statusCode, 415, res.body)
  const rows = await t.db.database.db.select().from(users).where(eq(users.username, input.username))
  assert.equal(rows.length, 0)
})

test('user_type=admin: public registration makes a member, an admin token makes an admin', async () => {
  const pub = await register(newUser({ user_type: 'admin' }))
  assert.equal(pub.statusCode, 201)
  assert.equal(pub.json().data.user_type, 'member')

  const member = await userWithToken(t, 'member')
  const byMember = await register(newUser({ user_type: 'admin' }), member.auth)
  assert.equal(byMember.statusCode, 201)
  assert.equal(byMember.json().data.user_type, 'member')

  const admin = await userWithToken(t, 'admin')
  const byAdmin = await register(newUser({ user_type: 'admin' }), admin.auth)
  assert.equal(byAdmin.statusCode, 201)
  assert.equal(byAdmin.json().data.user_type, 'admin')

  const form = multipart(newUser({ user_type: 'admin' }))
  const formByAdmin = await t.app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: form.payload,
    headers: { ...form.headers, ...admin.auth },
  })
  assert.equal(formByAdmin.statusCode, 201, formByAdmin.body)
  assert.equal(formByAdmin.json().data.user_type, 'admin')

  // A bad token is not silently treated as anonymous.
  const bad = await register(newUser(), { authorization: 'Bearer nonsense' })
  assert.equal(bad.statusCode, 401)
})

test('duplicate email, username or phone (any case, any phone format) is 409', async () => {
  const first = newUser()
  assert.equal((await register(first)).statusCode, 201)
  const digits = first.phone_number.slice(1) // 812...
  const cases: [string, Record<string, string>, string][] = [
    ['email upper case', { email: first.email.toUpperCase() }, 'email'],
    ['username other case', { username: first.username.toUpperCase() }, 'username'],
    ['phone as +62', { phone_number: `+62${digits}` }, 'phone_number'],
    ['phone as 62', { phone_number: `62${digits}` }, 'phone_number'],
    ['phone with spaces', { phone_number: `0${digits.slice(0, 3)} ${digits.slice(3, 7)} ${digits.slice(7)}` }, 'phone_number'],
    ['phone as 0812 again', { phone_number: first.phone_number }, 'phone_number'],
  ]
  for (const [what, override, field] of cases) {
    const res = await register(newUser(override))
    assert.equal(res.statusCode, 409, `${what}: ${res.body}`)
    assert.equal(res.json().code, 409)
    assert.deepEqual(
      (res.json().errors as { field: string }[]).map((e) => e.field),
      [field],
      what,
    )
  }
  const viaForm = multipart(newUser({ email: first.email.toUpperCase() }))
  assert.equal((await t.app.inject({ method: 'POST', url: '/auth/register', ...viaForm })).statusCode, 409)
})

test('login by email, by username in any case, by phone in any format', async () => {
  const input = newUser()
  assert.equal((await register(input)).statusCode, 201)
  const digits = input.phone_number.slice(1)
  const identifiers = [
    input.email,
    input.email.toUpperCase(),
    ` ${input.email} `,
    input.username,
    input.username.toUpperCase(),
    input.username.toLowerCase(),
    input.phone_number,
    `+62${digits}`,
    `62${digits}`,
    `+62 ${digits.slice(0, 3)}-${digits.slice(3)}`,
  ]
  for (const identifier of identifiers) {
    const res = await loginAs(identifier)
    assert.equal(res.statusCode, 200, `${identifier}: ${res.body}`)
    assertNoSecrets(res)
    assert.equal(res.json().data.user.username, input.username)
  }
})

test('unknown identifier and wrong password: same status, same body, same headers', async () => {
  const user = await createUser(t)
  const unknown = await loginAs(`${unique('nobody')}@example.test`, 'Some-Password-123')
  const wrong = await loginAs(user.email, 'Not-The-Password-123')
  const inactive = await createUser(t, { active: false })
  const disabled = await loginAs(inactive.email, inactive.password)
  const strip = (h: Record<string, unknown>) => {
    // Date and the request id (X-Request-Id, issue 12) differ on every response by design.
    const { date: _d, 'x-request-id': _id, ...rest } = h
    return rest
  }
  for (const res of [unknown, wrong, disabled]) {
    assert.equal(res.statusCode, 401)
    assertNoSecrets(res)
  }
  assert.equal(wrong.body, unknown.body)
  assert.equal(disabled.body, unknown.body)
  assert.deepEqual(strip(wrong.headers), strip(unknown.headers))
  assert.deepEqual(strip(disabled.headers), strip(unknown.headers))
  assert.deepEqual(unknown.json(), { code: 401, message: 'Incorrect identifier or password', data: null })
})

test('the password is verified exactly: no trimming, no case folding', async () => {
  const user = await createUser(t)
  assert.equal((await loginAs(user.username, ` ${DEFAULT_PASSWORD}`)).statusCode, 401)
  assert.equal((await loginAs(user.username, DEFAULT_PASSWORD.toUpperCase())).statusCode, 401)
  assert.equal((await loginAs(user.username, DEFAULT_PASSWORD)).statusCode, 200)
})

test('422: missing fields are named, JSON types are not coerced, weak passwords refused', async () => {
  const missing = await register({ fullname: 'X' })
  assert.equal(missing.statusCode, 422)
  const fields = (missing.json().errors as { field: string }[]).map((e) => e.field).sort()
  assert.deepEqual(fields, ['email', 'password', 'username'])
  assert.equal(missing.json().code, 422)

  const noPassword = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { identifier: 'someone' } })
  assert.equal(noPassword.statusCode, 422)
  assert.deepEqual(noPassword.json().errors, [{ field: 'password', message: 'is required' }])

  // A number where a string is expected stays a type error (JSON is not coerced).
  const numeric = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { identifier: 81234567890, password: DEFAULT_PASSWORD },
  })
  assert.equal(numeric.statusCode, 422)
  assert.equal(numeric.json().errors[0].field, 'identifier')
  const boolType = await register({ ...newUser(), user_type: true })
  assert.equal(boolType.statusCode, 422)
  assert.equal(boolType.json().errors[0].field, 'user_type')

  const cases: [Record<string, string>, string][] = [
    [{ password: 'short1!' }, 'password'],
    [{ password: 'password123' }, 'password'],
    [{ password: 'x'.repeat(129) }, 'password'],
    [{ email: 'not-an-email' }, 'email'],
    [{ username: '0812345678' }, 'username'],
    [{ username: 'has@sign' }, 'username'],
    [{ phone_number: '12ab' }, 'phone_number'],
  ]
  for (const [override, field] of cases) {
    const res = await register(newUser(override))
    assert.equal(res.statusCode, 422, `${JSON.stringify(override)}: ${res.body}`)
    assert.ok(
      (res.json().errors as { field: string }[]).some((e) => e.field === field),
      `${JSON.stringify(override)} names ${field}: ${res.body}`,
    )
  }
  // Any Unicode and spaces are fine, 64+ characters too.
  const unicode = await register(newUser({ password: 'kurma manis dari madinah ☪ 🕋 '.repeat(3) }))
  assert.equal(unicode.statusCode, 201, unicode.body)
})

test('unknown JSON fields are ignored, never stored', async () => {
  const input = { ...newUser(), is_active: false, password_hash: 'x', id: 1 }
  const res = await register(input)
  assert.equal(res.statusCode, 201, res.body)
  assert.equal(res.json().data.is_active, true)
  assert.notEqual(res.json().data.id, 1)
})

test('malformed JSON is 400 and __proto__ is rejected, both in the envelope', async () => {
  const bad = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    headers: { 'content-type': 'application/json' },
    payload: '{"identifier": "a", "password": ',
  })
  assert.equal(bad.statusCode, 400)
  assert.deepEqual(Object.keys(bad.json()).sort(), ['code', 'data', 'message'])
  assert.equal(bad.json().code, 400)
  assert.doesNotMatch(bad.body, /at .*\.(js|ts)|SyntaxError/)

  for (const payload of [
    `{"identifier":"a","password":"${DEFAULT_PASSWORD}","__proto__":{"isAdmin":true}}`,
    `{"identifier":"a","password":"${DEFAULT_PASSWORD}","constructor":{"prototype":{"isAdmin":true}}}`,
  ]) {
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload })
    assert.equal(res.statusCode, 400, res.body)
    assert.equal(res.json().code, 400)
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined)
  }
})

test('an unsupported content type is 415 in the envelope', async () => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    headers: { 'content-type': 'text/plain' },
    payload: 'identifier=a&password=b',
  })
  assert.equal(res.statusCode, 415)
  assert.equal(res.json().code, 415)
})
