/**
 * The language of answers and e-mails: Accept-Language first, then the user's saved locale, then
 * APP_LOCALE (here `id`, its default). The machine-readable parts (status, `errors[].field`,
 * WWW-Authenticate) are the same in every language.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../src/config.js'
import { build, createUser, login, unique, userWithToken } from '../helpers/app.js'
import { startSmtp } from '../helpers/smtp.js'
import { makeTransaction } from './transactions.fixtures.js'

const smtp = await startSmtp()
const t = await build({ APP_LOCALE: 'id', SMTP_URL: smtp.url, APP_URL: 'https://app.talangraga.test' })
/** The text of a quoted-printable mail, soft line breaks and =3D undone. */
const decoded = (raw: string) => raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=')
const EN = { 'accept-language': 'en-US,en;q=0.9' }
const ID = { 'accept-language': 'id-ID,id;q=0.9' }

test('APP_LOCALE defaults to id and accepts only id or en', () => {
  assert.equal(loadConfig({ DATA_DIR: '/tmp/i18n-config' }).locale, 'id')
  assert.equal(loadConfig({ DATA_DIR: '/tmp/i18n-config', APP_LOCALE: 'en' }).locale, 'en')
  assert.throws(() => loadConfig({ DATA_DIR: '/tmp/i18n-config', APP_LOCALE: 'fr' }), /APP_LOCALE/)
})

test('a validation error (422) in English and in Indonesian: same fields and status, sentences a person can act on', async () => {
  const payload = { fullname: 'Siti Aminah', username: 'x', email: 'not-an-email', password: 'Kurma-Madinah-2026!' }
  const en = await t.app.inject({ method: 'POST', url: '/auth/register', headers: EN, payload })
  const id = await t.app.inject({ method: 'POST', url: '/auth/register', headers: ID, payload })
  assert.equal(en.statusCode, 422)
  assert.equal(id.statusCode, 422)
  const [e, i] = [en.json(), id.json()]
  assert.deepEqual(
    i.errors.map((x: { field: string }) => x.field),
    e.errors.map((x: { field: string }) => x.field),
  )
  assert.equal(e.data, null)
  assert.equal(i.data, null)
  assert.match(e.message, /^Username must be at least 2 characters$/)
  assert.equal(i.message, 'Nama pengguna minimal 2 karakter')
  for (const body of [e, i]) for (const x of body.errors) assert.doesNotMatch(x.message, /\^|\\d|\[a-z/i, 'no regular expression')
  assert.equal(en.headers['content-language'], 'en')
  assert.equal(id.headers['content-language'], 'id')
  assert.match(String(id.headers.vary), /Accept-Language/i)
})

test('a 401 in both languages keeps WWW-Authenticate identical', async () => {
  const en = await t.app.inject({ method: 'GET', url: '/auth/profile', headers: EN })
  const id = await t.app.inject({ method: 'GET', url: '/auth/profile', headers: ID })
  assert.equal(en.statusCode, 401)
  assert.equal(id.statusCode, 401)
  assert.equal(en.json().message, 'Not authenticated')
  assert.equal(id.json().message, 'Anda belum masuk')
  assert.equal(id.headers['www-authenticate'], en.headers['www-authenticate'])

  const user = await createUser(t)
  const bad = { identifier: user.username, password: 'Wrong-password-123' }
  const enLogin = await t.app.inject({ method: 'POST', url: '/auth/login', headers: EN, payload: bad })
  const idLogin = await t.app.inject({ method: 'POST', url: '/auth/login', headers: ID, payload: bad })
  assert.equal(enLogin.json().message, 'Incorrect identifier or password')
  assert.equal(idLogin.json().message, 'Identitas atau kata sandi salah')
  assert.equal(idLogin.headers['www-authenticate'], enLogin.headers['www-authenticate'])

  const expired = await t.app.inject({ method: 'GET', url: '/auth/profile', headers: { ...ID, authorization: 'Bearer x.y.z' } })
  assert.equal(expired.statusCode, 401)
  assert.equal(expired.json().message, 'Token tidak sah atau rusak')
  assert.match(String(expired.headers['www-authenticate']), /error_description="Invalid or malformed token"/)
})

test('a 409 in both languages: the same field, the sentence in the asked language', async () => {
  const taken = await createUser(t)
  const payload = {
    fullname: 'Ahmad Fauzi',
    username: taken.username,
    email: `${unique('a')}@example.test`,
    password: 'Kurma-Madinah-2026!',
  }
  const en = await t.app.inject({ method: 'POST', url: '/auth/register', headers: EN, payload })
  const id = await t.app.inject({ method: 'POST', url: '/auth/register', headers: ID, payload })
  assert.equal(en.statusCode, 409)
  assert.equal(id.statusCode, 409)
  assert.equal(en.json().message, 'Username is already in use')
  assert.equal(id.json().message, 'Nama pengguna sudah dipakai')
  assert.deepEqual(id.json().errors, [{ field: 'username', message: 'sudah dipakai' }])
  assert.deepEqual(en.json().errors, [{ field: 'username', message: 'is already in use' }])

  const admin = await userWithToken(t, 'admin')
  const periode = { periode_name: unique('Umroh '), start_date: '2031-01-01', end_date: '2031-06-30' }
  assert.equal((await t.app.inject({ method: 'POST', url: '/periodes', headers: admin.auth, payload: periode })).statusCode, 201)
  const again = { ...periode, start_date: '2032-01-01', end_date: '2032-06-30' }
  const dupEn = await t.app.inject({ method: 'POST', url: '/periodes', headers: { ...admin.auth, ...EN }, payload: again })
  const dupId = await t.app.inject({ method: 'POST', url: '/periodes', headers: { ...admin.auth, ...ID }, payload: again })
  assert.equal(dupEn.json().message, `A periode named "${periode.periode_name}" already exists`)
  assert.equal(dupId.json().message, `Periode bernama "${periode.periode_name}" sudah ada`)
})

test('the password-reset e-mail in the language of the request', async () => {
  const siti = await createUser(t, { fullname: 'Siti Aminah' })
  const ahmad = await createUser(t, { fullname: 'Ahmad Fauzi' })
  const en = await t.app.inject({ method: 'POST', url: '/auth/forgot-password', headers: EN, payload: { email: siti.email } })
  const id = await t.app.inject({ method: 'POST', url: '/auth/forgot-password', headers: ID, payload: { email: ahmad.email } })
  assert.equal(en.json().message, 'If an account with that email exists, a password reset code has been sent to it')
  assert.equal(id.json().message, 'Jika ada akun dengan email tersebut, kode atur ulang kata sandi telah dikirim ke sana')
  const mailEn = await smtp.waitFor(siti.email, /reset/i)
  const mailId = await smtp.waitFor(ahmad.email, /Atur ulang/)
  assert.match(mailEn.raw, /Subject: Reset your Talangraga Umroh password/)
  assert.match(decoded(mailEn.raw), /Your reset code \(valid for 30 minutes, usable once\)/)
  assert.match(mailId.raw, /Subject: Atur ulang kata sandi Talangraga Umroh Anda/)
  assert.match(decoded(mailId.raw), /Kode atur ulang Anda \(berlaku 30 menit, sekali pakai\)/)
  assert.match(decoded(mailId.raw), /https:\/\/app\.talangraga\.test\/reset-password\?token=/)
})

test('the saved locale applies when Accept-Language names none; Accept-Language wins over it', async () => {
  const member = await userWithToken(t)
  const plain = await t.app.inject({ method: 'GET', url: '/periodes/999999', headers: member.auth })
  assert.equal(plain.json().message, 'Periode tidak ditemukan', 'APP_LOCALE id')

  const saved = await t.app.inject({ method: 'PUT', url: '/users/me/update', headers: member.auth, payload: { locale: 'EN' } })
  assert.equal(saved.statusCode, 200)
  assert.equal(saved.json().data.locale, 'en')

  const after = await t.app.inject({ method: 'GET', url: '/periodes/999999', headers: member.auth })
  assert.equal(after.json().message, 'Periode not found')
  const asked = await t.app.inject({ method: 'GET', url: '/periodes/999999', headers: { ...member.auth, ...ID } })
  assert.equal(asked.json().message, 'Periode tidak ditemukan')

  // The mobile app sends every profile field, blank when unset: a blank locale changes nothing.
  const blank = await t.app.inject({ method: 'PUT', url: '/users/me/update', headers: member.auth, payload: { locale: '' } })
  assert.equal(blank.json().data.locale, 'en')
  const wrong = await t.app.inject({
    method: 'PUT',
    url: '/users/me/update',
    headers: { ...member.auth, ...EN },
    payload: { locale: 'fr' },
  })
  assert.equal(wrong.statusCode, 422)
  assert.equal(wrong.json().errors[0].field, 'locale')
  assert.doesNotMatch(wrong.json().message, /\^|\[/)

  // The reset e-mail of a user who saved English, asked without Accept-Language.
  await t.app.inject({ method: 'POST', url: '/auth/forgot-password', payload: { email: member.user.email } })
  const mail = await smtp.waitFor(member.user.email, /reset/i)
  assert.match(mail.raw, /Subject: Reset your Talangraga Umroh password/)
})

test('success messages follow the language too', async () => {
  const user = await createUser(t)
  const id = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    headers: ID,
    payload: { identifier: user.username, password: user.password },
  })
  assert.equal(id.json().message, 'Berhasil masuk')
  const tokens = await login(t, user)
  const list = await t.app.inject({ method: 'GET', url: '/periodes', headers: { authorization: `Bearer ${tokens.access_token}`, ...EN } })
  assert.equal(list.json().message, 'Success')
})

test('per-item outcomes of a bulk status change are in the asked language too', async () => {
  const admin = await userWithToken(t, 'admin')
  const member = await createUser(t)
  const dep = await makeTransaction(t, { userId: member.id, amount: '1500000.00' })
  const res = await t.app.inject({
    method: 'POST',
    url: '/transactions/status',
    headers: { ...admin.auth, ...ID },
    payload: { ids: [dep.id, dep.id + 100000], status: 'on_process' },
  })
  assert.equal(res.statusCode, 200, res.body)
  const items = res.json().data as { id: number; code: number; message: string }[]
  assert.deepEqual(
    items.map((i) => [i.code, i.message]),
    [
      [200, 'Status diperbarui'],
      [404, 'Transaksi tidak ditemukan'],
    ],
  )
  assert.match(res.json().message, /^1 dari 2 diperbarui$/)
})
