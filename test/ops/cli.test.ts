/**
 * The CLI without a server: passwords never come from argv (refused with the reason) but from
 * stdin (--password-stdin) or a prompt, which needs a terminal; admin list and reset-password;
 * progress on stderr only when asked when stderr is not a terminal.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { PASSWORD, ROOT } from './support.js'

function cli(dataDir: string, args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
    child.stdin?.end(stdin)
  })
}

const NEW_PASSWORD = 'Zamzam-Mekkah-2027?'

test('create-admin refuses argv passwords, reads stdin; admin list; admin reset-password; progress only when asked', {
  timeout: 300_000,
}, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-cli-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))

  const argvPassword = await cli(dataDir, ['create-admin', '--email', 'ketua@example.test', `--password=${PASSWORD}`])
  assert.equal(argvPassword.code, 2)
  assert.match(
    argvPassword.stderr,
    /refusing --password: a password on the command line is visible to every user in `ps` and stays in shell history/,
  )
  assert.match(argvPassword.stderr, /--password-stdin/)
  const spaced = await cli(dataDir, ['admin', 'reset-password', 'ketua@example.test', '--password', PASSWORD])
  assert.equal(spaced.code, 2)

  // No terminal and no --password-stdin: nothing to ask, says how to pass it.
  const noTty = await cli(dataDir, ['create-admin', '--email', 'ketua@example.test'])
  assert.equal(noTty.code, 1)
  assert.match(noTty.stderr, /no terminal to ask for the password: pipe it with --password-stdin/)

  // The argv of the command that creates the admin holds no password.
  const args = ['create-admin', '--email', 'ketua@example.test', '--username', 'ketua', '--password-stdin']
  assert.ok(!args.some((a) => a.includes(PASSWORD)))
  const created = await cli(dataDir, args, `${PASSWORD}\n`)
  assert.equal(created.code, 0, created.stderr)
  assert.match(created.stdout, /^admin created: id=\d+ username=ketua email=ketua@example\.test$/m)

  const list = await cli(dataDir, ['admin', 'list'])
  assert.equal(list.code, 0, list.stderr)
  assert.match(list.stdout, /ketua\s+ketua@example\.test\s+active/)

  const weak = await cli(dataDir, ['admin', 'reset-password', 'ketua@example.test', '--password-stdin'], 'password\n')
  assert.equal(weak.code, 1)
  assert.match(weak.stderr, /error: password /)
  const unknown = await cli(dataDir, ['admin', 'reset-password', 'nobody@example.test', '--password-stdin'], `${NEW_PASSWORD}\n`)
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /no account with the email nobody@example\.test/)
  const reset = await cli(dataDir, ['admin', 'reset-password', 'ketua@example.test', '--password-stdin'], `${NEW_PASSWORD}\n`)
  assert.equal(reset.code, 0, reset.stderr)
  assert.match(reset.stdout, /password reset for admin ketua \(id=\d+\)/)

  const app = await buildApp(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', AUTH_RATE_LIMIT: '1000' }), { logger: false })
  try {
    const oldLogin = await app.inject({ method: 'POST', url: '/auth/login', payload: { identifier: 'ketua', password: PASSWORD } })
    assert.equal(oldLogin.statusCode, 401)
    const newLogin = await app.inject({ method: 'POST', url: '/auth/login', payload: { identifier: 'ketua', password: NEW_PASSWORD } })
    assert.equal(newLogin.statusCode, 200)
  } finally {
    await app.close()
  }

  // stderr is a pipe here, not a terminal: no progress unless --progress; --quiet wins.
  const archive = path.join(dataDir, 'b.tar.gz')
  const silent = await cli(dataDir, ['backup', archive])
  assert.equal(silent.code, 0, silent.stderr)
  assert.equal(silent.stderr, '')
  const shown = await cli(dataDir, ['backup', archive, '--progress'])
  assert.equal(shown.code, 0, shown.stderr)
  assert.match(shown.stderr, /backup \[[^\]]*\] 100% \| [\d.]+ MB\/[\d.]+ MB \| ETA/)
  const quiet = await cli(dataDir, ['backup', archive, '--progress', '--quiet'])
  assert.equal(quiet.code, 0)
  assert.equal(quiet.stderr, '')
})
