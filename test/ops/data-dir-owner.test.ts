/**
 * The embedded database has one owner (src/ops/data-dir-owner.ts). With real processes on one
 * DATA_DIR: a second server is refused at once naming the first (its pid) and what to do; the
 * CLI's create-admin and backup run through the running server (the admin logs in on it at once,
 * the backup restores); migrate and restore are refused while it runs; nothing the server
 * confirmed with 201 is lost; after kill -9 the stale socket is taken over at the next start.
 * PGlite only, so these run in the PostgreSQL pass too.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { existsSync, lstatSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { acquireDataDir, DataDirBusyError, socketPath } from '../../src/ops/data-dir-owner.js'
import { freePort, http, PASSWORD, ROOT, SECRET_A, SECRET_R, startServer } from './support.js'

/** Run the CLI with `stdin` piped in; never throws, returns the exit code and output. */
function cli(dataDir: string, args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, SECRET_KEY: SECRET_A, REFRESH_SECRET_KEY: SECRET_R },
        timeout: 120_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
    child.stdin?.end(stdin)
  })
}

/** Start a server expected to be refused; resolves with its exit code and output. */
function refusedServer(dataDir: string, port: number): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now()
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        SECRET_KEY: SECRET_A,
        REFRESH_SECRET_KEY: SECRET_R,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    proc.stdout.on('data', (d) => {
      output += d
    })
    proc.stderr.on('data', (d) => {
      output += d
    })
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000)
    proc.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output, ms: Date.now() - started })
    })
  })
}

const member = { fullname: 'Siti Rahmawati', username: 'siti.rahma', email: 'siti.rahma@example.test', password: PASSWORD }
const login = (base: string, identifier: string, password = PASSWORD) =>
  http(base, 'POST', '/auth/login', { body: { identifier, password } })

test('a second process on one DATA_DIR is refused; the CLI works through the running server and nothing is lost', {
  timeout: 300_000,
}, async (t) => {
  const work = mkdtempSync(path.join(tmpdir(), 'talangraga-owner-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  const dataDir = path.join(work, 'data')
  const first = await startServer({ DATA_DIR: dataDir })
  t.after(() => first.stop('SIGKILL'))
  const pid = first.proc.pid as number

  const reg = await http(first.url, 'POST', '/auth/register', { body: member })
  assert.equal(reg.status, 201, reg.text)
  const sock = socketPath(dataDir)
  assert.ok(lstatSync(sock).isSocket())
  assert.equal(lstatSync(sock).mode & 0o777, 0o600, 'only the owner may talk to the control socket')

  // `npm run dev` beside `npm start`: refused at once, naming the holder and what to do.
  const second = await refusedServer(dataDir, await freePort())
  assert.equal(second.code, 1, second.output)
  assert.match(second.output, new RegExp(`DATA_DIR ${dataDir} is in use by the API server \\(pid ${pid}, since `))
  assert.match(second.output, /stop that server first/)

  const migrate = await cli(dataDir, ['migrate'])
  assert.equal(migrate.code, 1)
  assert.match(migrate.stderr, new RegExp(`in use by the API server \\(pid ${pid},.*stop the server first`))

  // create-admin as the README says, while the server runs: executed by the server itself.
  const admin = await cli(
    dataDir,
    ['create-admin', '--email', 'bendahara@example.test', '--username', 'bendahara', '--password-stdin'],
    `${PASSWORD}\n`,
  )
  assert.equal(admin.code, 0, admin.stderr)
  assert.match(admin.stdout, /admin created \(through the running server\): id=\d+ username=bendahara/)
  const adminLogin = await login(first.url, 'bendahara')
  assert.equal(adminLogin.status, 200, 'the new admin logs in on the running server at once')

  const list = await cli(dataDir, ['admin', 'list'])
  assert.equal(list.code, 0, list.stderr)
  assert.match(list.stdout, /bendahara\s+bendahara@example\.test\s+active/)

  const archive = path.join(work, 'live.tar.gz')
  const backup = await cli(dataDir, ['backup', archive])
  assert.equal(backup.code, 0, backup.stderr)
  assert.match(backup.stdout, /backup written \(through the running server\)/)

  const restore = await cli(dataDir, ['restore', archive, '--force'])
  assert.equal(restore.code, 1)
  assert.match(restore.stderr, /in use by the API server .*stop the server first/)

  assert.equal((await login(first.url, member.username)).status, 200, 'the first server still serves its data')
  assert.equal(await first.stop(), 0)
  assert.equal(existsSync(sock), false, 'a clean stop removes the socket')

  // Everything confirmed before is there after a restart, and in the backup taken while serving.
  const again = await startServer({ DATA_DIR: dataDir })
  try {
    assert.equal((await login(again.url, member.username)).status, 200)
    assert.equal((await login(again.url, 'bendahara')).status, 200)
  } finally {
    await again.stop()
  }
  const restoredDir = path.join(work, 'restored')
  const restored = await cli(restoredDir, ['restore', archive])
  assert.equal(restored.code, 0, restored.stderr)
  const restoredAdmins = await cli(restoredDir, ['admin', 'list'])
  assert.equal(restoredAdmins.code, 0, restoredAdmins.stderr)
  assert.match(restoredAdmins.stdout, /bendahara\s+bendahara@example\.test/, 'the live backup holds what the server wrote')
})

test('after kill -9 the stale socket is taken over at the next start, with the confirmed data', { timeout: 180_000 }, async (t) => {
  const work = mkdtempSync(path.join(tmpdir(), 'talangraga-owner-kill-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  const dataDir = path.join(work, 'data')
  const first = await startServer({ DATA_DIR: dataDir })
  const reg = await http(first.url, 'POST', '/auth/register', { body: member })
  assert.equal(reg.status, 201, reg.text)
  await first.stop('SIGKILL')
  assert.ok(lstatSync(socketPath(dataDir)).isSocket(), 'the dead owner left its socket behind')

  const next = await startServer({ DATA_DIR: dataDir })
  try {
    assert.equal((await login(next.url, member.username)).status, 200)
  } finally {
    await next.stop()
  }
})

test('in one process: a second owner is refused; of several starters racing for a stale socket exactly one wins', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-owner-unit-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const owner = await acquireDataDir(dataDir, 'cli', 'cli backup')
  await assert.rejects(acquireDataDir(dataDir, 'server', 'node dist/server.js'), (err: unknown) => {
    assert.ok(err instanceof DataDirBusyError)
    assert.equal(err.holder?.pid, process.pid)
    assert.match(err.message, /in use by `cli backup` \(pid \d+, since .*wait for it to finish/)
    return true
  })
  await owner.release()

  // A stale socket: its process was killed while listening.
  const script = `require('node:net').createServer().listen(${JSON.stringify(socketPath(dataDir))}, () => process.kill(process.pid, 'SIGKILL'))`
  await new Promise((resolve) => spawn(process.execPath, ['-e', script]).once('exit', resolve))
  assert.ok(lstatSync(socketPath(dataDir)).isSocket())
  const results = await Promise.allSettled([1, 2, 3, 4].map(() => acquireDataDir(dataDir, 'server', 'racer')))
  const won = results.filter((r) => r.status === 'fulfilled')
  assert.equal(won.length, 1, JSON.stringify(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'won'))))
  for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof DataDirBusyError, String(r.reason))
  await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireDataDir>>>).value.release()
})
