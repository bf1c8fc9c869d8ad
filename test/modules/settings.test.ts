/**
 * GET/PUT /settings: anyone signed in reads, admins write (JSON or multipart with a logo that goes
 * through the image pipeline), and the documents print the name and the logo.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import sharp from 'sharp'
import { build, userWithToken } from '../helpers/app.js'
import { pdfImageCount, pdfText } from '../helpers/pdf.js'
import { form, makeTransaction } from './transactions.fixtures.js'

const t = await build()
const admin = await userWithToken(t, 'admin')
const member = await userWithToken(t, 'member')

const logoPng = () =>
  sharp({ create: { width: 400, height: 300, channels: 4, background: { r: 0, g: 128, b: 64, alpha: 0.9 } } })
    .withExif({ IFD0: { Artist: 'secret-gps-owner' } })
    .png()
    .toBuffer()

test('defaults before anything is set; anyone signed in reads; members cannot write', async () => {
  const res = await t.app.inject({ url: '/settings', headers: member.auth })
  assert.equal(res.statusCode, 200)
  assert.deepEqual(res.json().data, {
    organisation_name: 'Padepokan Talangraga',
    address: null,
    contact: null,
    logo_url: null,
    updated_at: null,
  })
  assert.equal((await t.app.inject({ url: '/settings' })).statusCode, 401)
  const denied = await t.app.inject({ method: 'PUT', url: '/settings', headers: member.auth, payload: { organisation_name: 'X' } })
  assert.equal(denied.statusCode, 403)
  assert.equal(denied.json().data, null)
})

test('admin sets name, address, contact (JSON; null clears) and a logo (multipart, re-encoded)', async () => {
  const json = await t.app.inject({
    method: 'PUT',
    url: '/settings',
    headers: admin.auth,
    payload: { organisation_name: 'Yayasan Talangraga', address: 'Jl. Kenanga 7, Cirebon', contact: '0812-0000-0000' },
  })
  assert.equal(json.statusCode, 200, json.body)
  assert.equal(json.json().data.address, 'Jl. Kenanga 7, Cirebon')

  const body = form({ contact: '' }, [{ field: 'logo', filename: 'logo.png', type: 'image/png', data: await logoPng() }])
  const multipart = await t.app.inject({
    method: 'PUT',
    url: '/settings',
    headers: { ...admin.auth, ...body.headers },
    payload: body.payload,
  })
  assert.equal(multipart.statusCode, 200, multipart.body)
  const data = multipart.json().data
  assert.equal(data.organisation_name, 'Yayasan Talangraga', 'fields not sent are kept')
  assert.equal(data.contact, '0812-0000-0000', 'a blank form field means not provided')
  assert.ok(data.logo_url)
  const logo = await t.app.inject({ url: new URL(data.logo_url).pathname + new URL(data.logo_url).search })
  assert.equal(logo.statusCode, 200)
  assert.equal(logo.headers['content-type'], 'image/png')
  assert.ok(!logo.rawPayload.includes(Buffer.from('secret-gps-owner')), 'metadata stripped by the re-encoding')

  const cleared = await t.app.inject({ method: 'PUT', url: '/settings', headers: admin.auth, payload: { address: null } })
  assert.equal(cleared.json().data.address, null)
  assert.ok(cleared.json().data.logo_url, 'the logo stays')

  const notImage = form({}, [{ field: 'logo', filename: 'logo.png', type: 'image/png', data: Buffer.from('<svg onload=alert(1)>') }])
  const refused = await t.app.inject({
    method: 'PUT',
    url: '/settings',
    headers: { ...admin.auth, ...notImage.headers },
    payload: notImage.payload,
  })
  assert.equal(refused.statusCode, 415)
  assert.equal(
    (await t.app.inject({ method: 'PUT', url: '/settings', headers: admin.auth, payload: { organisation_name: '' } })).statusCode,
    422,
  )
})

test('the kuitansi prints the organisation name and draws the logo', async () => {
  const tx = await makeTransaction(t, { userId: member.user.id })
  await t.app.inject({ method: 'PUT', url: `/transactions/${tx.id}/status`, headers: admin.auth, payload: { status: 'completed' } })
  const pdf = await t.app.inject({ url: `/transactions/${tx.id}/receipt.pdf`, headers: member.auth })
  assert.equal(pdf.statusCode, 200)
  const [text] = await pdfText(pdf.rawPayload)
  assert.ok(text?.startsWith('Yayasan Talangraga'), text)
  // Two images: the logo and the QR code.
  assert.equal(await pdfImageCount(pdf.rawPayload), 2)
})
