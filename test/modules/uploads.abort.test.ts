/**
 * Uploads cannot fill the disk: a multipart request cut off half-way leaves no temp file, and such
 * requests spend the route's rate-limit budget like any other (anonymous POST /auth/register).
 */
import assert from 'node:assert/strict'
import { readdirSync, statSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import path from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { build, DEFAULT_PASSWORD, unique } from '../helpers/app.js'
import { listFiles, multipart } from '../helpers/multipart.js'

// AUTH_RATE_LIMIT=2: registration allows 12 attempts a minute per address.
const t = await build({ AUTH_RATE_LIMIT: '2' })
const address = await t.app.listen({ host: '127.0.0.1', port: 0 }).then(() => t.app.server.address() as AddressInfo)
const tmp = path.join(t.dataDir, 'tmp')

/** Start a registration with a 1 MB image announced, send 256 KB of it, then drop the connection. */
async function abortedUpload() {
  const username = unique('abort')
  const { payload, headers } = multipart(
    { fullname: 'Aborted Upload', username, email: `${username}@example.test`, password: DEFAULT_PASSWORD },
    [{ field: 'image_profile', filename: 'a.jpg', type: 'image/jpeg', data: Buffer.alloc(0) }],
  )
  const fileStart = payload.lastIndexOf(Buffer.from('\r\n--'))
  const socket = connect(address.port, address.address)
  await new Promise((r) => socket.once('connect', r))
  socket.write(
    `POST /auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: ${headers['content-type']}\r\nContent-Length: ${fileStart + 1024 * 1024}\r\n\r\n`,
  )
  socket.write(payload.subarray(0, fileStart))
  socket.write(Buffer.alloc(256 * 1024, 0x41))
  // Wait until the temp file is on disk and growing, so the abort really happens mid-file.
  for (let i = 0; i < 200 && !readdirSync(tmp).some((f) => statSync(path.join(tmp, f)).size > 0); i++) await sleep(10)
  assert.ok(listFiles(tmp).length > 0, 'the upload reached a temp file before the abort')
  socket.destroy()
}

async function tmpEmpty() {
  for (let i = 0; i < 100 && listFiles(tmp).length > 0; i++) await sleep(20)
  return listFiles(tmp)
}

test('a multipart request aborted mid-file leaves no temp file', async () => {
  await abortedUpload()
  assert.deepEqual(await tmpEmpty(), [])
})

test('aborted uploads count against the registration budget of the address', async () => {
  // One abort above; eleven more use up the budget of 12.
  for (let i = 0; i < 11; i++) await abortedUpload()
  assert.deepEqual(await tmpEmpty(), [])
  const username = unique('after')
  const res = await fetch(`http://${address.address}:${address.port}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fullname: 'After Aborts', username, email: `${username}@example.test`, password: DEFAULT_PASSWORD }),
  })
  assert.equal(res.status, 429, await res.text())
})
