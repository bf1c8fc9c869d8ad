/**
 * The real process over a real socket: the embedded default starts with no configuration but a
 * data directory, serves, keeps its secrets across a restart (tokens survive), and exits cleanly on
 * SIGTERM after finishing what it was doing.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'

const dir = mkdtempSync(path.join(tmpdir(), 'talangraga-server-'))
after(() => rmSync(dir, { recursive: true, force: true }))

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

async function start(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      DATA_DIR: dir,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ADMIN_EMAIL: 'first.admin@example.test',
      ADMIN_PASSWORD: 'Zamzam-Water-Well-77',
      DATABASE_URL: '',
      REDIS_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`)
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return child
    await new Promise((r) => setTimeout(r, 250))
  }
  child.kill('SIGKILL')
  throw new Error('server did not become ready')
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

test('embedded default serves, tokens survive a restart, SIGTERM exits cleanly', async () => {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  let child = await start(port)
  try {
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identifier: 'first.admin@example.test', password: 'Zamzam-Water-Well-77' }),
    })
    assert.equal(login.status, 200)
    assert.equal(login.headers.get('cache-control'), 'no-store')
    const { access_token } = (await login.json()).data
    const profile = await fetch(`${base}/auth/profile`, { headers: { authorization: `Bearer ${access_token}` } })
    assert.equal(profile.status, 200)
    assert.equal((await profile.json()).data.user_type, 'admin')

    const done = exited(child)
    child.kill('SIGTERM')
    assert.equal(await done, 0)

    child = await start(port)
    const again = await fetch(`${base}/auth/profile/`, { headers: { authorization: `Bearer ${access_token}` } })
    assert.equal(again.status, 200, 'the same token works after a restart (secrets persisted)')
  } finally {
    const done = exited(child)
    child.kill('SIGTERM')
    await done
  }
})
