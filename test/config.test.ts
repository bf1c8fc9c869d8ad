import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { ConfigError, loadConfig } from '../src/config.js'

const dir = mkdtempSync(path.join(tmpdir(), 'talangraga-config-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('defaults: embedded database on 127.0.0.1:8000 with generated secrets kept in the data directory', () => {
  const a = loadConfig({ DATA_DIR: dir })
  assert.equal(a.host, '127.0.0.1')
  assert.equal(a.port, 8000)
  assert.equal(a.databaseUrl, undefined)
  assert.equal(a.accessTokenTtlSeconds, 1800)
  assert.equal(a.refreshTokenTtlSeconds, 7 * 86400)
  assert.equal(a.refreshPolicy, 'reuse')
  assert.equal(a.timezone, 'Asia/Jakarta')
  assert.ok(a.secrets.access.length >= 32)
  assert.notEqual(a.secrets.access, a.secrets.refresh)
  const saved = JSON.parse(readFileSync(path.join(dir, 'secrets.json'), 'utf8'))
  assert.equal(saved.access, a.secrets.access)
  // A restart reuses the same secrets, so issued tokens stay valid.
  const b = loadConfig({ DATA_DIR: dir })
  assert.deepEqual(b.secrets, a.secrets)
})

test('decimals are allowed for token lifetimes; blank values mean the default', () => {
  const c = loadConfig({ DATA_DIR: dir, ACCESS_TOKEN_EXPIRE_MINUTES: '0.5', REFRESH_TOKEN_EXPIRE_DAYS: '1.5', PORT: '' })
  assert.equal(c.accessTokenTtlSeconds, 30)
  assert.equal(c.refreshTokenTtlSeconds, 129600)
  assert.equal(c.port, 8000)
})

test('bad values are one clear error naming the variable', () => {
  assert.throws(
    () => loadConfig({ DATA_DIR: dir, PORT: 'eighty' }),
    (e: Error) => e instanceof ConfigError && /PORT/.test(e.message),
  )
  assert.throws(() => loadConfig({ DATA_DIR: dir, REFRESH_TOKEN_POLICY: 'sometimes' }), /REFRESH_TOKEN_POLICY/)
  assert.throws(() => loadConfig({ DATA_DIR: dir, APP_TIMEZONE: 'Mars/Olympus' }), /APP_TIMEZONE/)
  assert.throws(() => loadConfig({ DATA_DIR: dir, DATABASE_URL: 'mysql://x' }), /DATABASE_URL/)
  assert.throws(() => loadConfig({ DATA_DIR: dir, SECRET_KEY: 'short' }), /SECRET_KEY/)
})

test('production refuses to start without explicit secrets', () => {
  assert.throws(() => loadConfig({ DATA_DIR: dir, NODE_ENV: 'production' }), /SECRET_KEY and REFRESH_SECRET_KEY/)
  const same = 'x'.repeat(40)
  assert.throws(() => loadConfig({ DATA_DIR: dir, NODE_ENV: 'production', SECRET_KEY: same, REFRESH_SECRET_KEY: same }), /must differ/)
})

test('the server process stops with exactly one line on bad configuration', () => {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, NODE_ENV: 'production', DATA_DIR: dir, SECRET_KEY: '', REFRESH_SECRET_KEY: '' },
    encoding: 'utf8',
    timeout: 30_000,
  })
  assert.equal(res.status, 1)
  const lines = res.stderr.trim().split('\n')
  assert.equal(lines.length, 1, res.stderr)
  assert.match(lines[0]!, /SECRET_KEY/)
})

test('configuration errors never print a secret, and say what to do', () => {
  const secret = 'hunter2-is-not-long-enough'
  const cases: Array<[Record<string, string>, RegExp, string]> = [
    [{ SECRET_KEY: secret }, /SECRET_KEY .*26 characters.*openssl rand/, secret],
    [{ REFRESH_SECRET_KEY: secret }, /REFRESH_SECRET_KEY/, secret],
    [{ ADMIN_EMAIL: 'a@b.test', ADMIN_PASSWORD: 'short' }, /ADMIN_PASSWORD/, 'short'],
    [{ DATABASE_URL: 'mysql://app:Sup3rS3cret@db.internal/app' }, /DATABASE_URL .*mysql:\/\/app:\*\*\*@db\.internal/, 'Sup3rS3cret'],
    [{ REDIS_URL: 'http://default:R3disPass@cache:6379' }, /REDIS_URL/, 'R3disPass'],
  ]
  for (const [env, names, value] of cases) {
    assert.throws(
      () => loadConfig({ DATA_DIR: dir, ...env }),
      (e: Error) => {
        assert.ok(e instanceof ConfigError, String(e))
        assert.match(e.message, names)
        assert.ok(!e.message.includes(value), `leaks the value: ${e.message}`)
        return true
      },
    )
  }
})

test('NODE_ENV outside development, production and test is refused', () => {
  assert.throws(() => loadConfig({ DATA_DIR: dir, NODE_ENV: 'staging' }), /NODE_ENV .*development, production or test/)
  assert.equal(loadConfig({ DATA_DIR: dir, NODE_ENV: 'test' }).env, 'test')
})

test('a corrupt secrets.json names the file and what to do', () => {
  const own = mkdtempSync(path.join(tmpdir(), 'talangraga-secrets-'))
  after(() => rmSync(own, { recursive: true, force: true }))
  writeFileSync(path.join(own, 'secrets.json'), '{"access": "trunc')
  assert.throws(
    () => loadConfig({ DATA_DIR: own }),
    (e: Error) => e instanceof ConfigError && e.message.includes(path.join(own, 'secrets.json')) && /delete it/.test(e.message),
  )
  writeFileSync(path.join(own, 'secrets.json'), '{"hello": 1}')
  assert.throws(() => loadConfig({ DATA_DIR: own }), /secrets\.json lacks/)
})

/** Start the server process with `env` and return its exit status and stderr. */
function startFails(env: Record<string, string>) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: mkdtempSync(path.join(dir, 'run-')), LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { status: res.status, stderr: res.stderr.trim() }
}

test('start-up failures are one line naming the variable and what to do, without secrets', () => {
  const db = startFails({ DATABASE_URL: 'postgres://app:Db-Pa55word@127.0.0.1:1/app' })
  assert.equal(db.status, 1, db.stderr)
  assert.equal(db.stderr.split('\n').length, 1, db.stderr)
  assert.match(db.stderr, /DATABASE_URL/)
  assert.match(db.stderr, /127\.0\.0\.1:1/)
  assert.match(db.stderr, /Check that the server is running/)
  assert.ok(!db.stderr.includes('Db-Pa55word'), db.stderr)

  const admin = startFails({ ADMIN_EMAIL: 'not-an-email', ADMIN_PASSWORD: 'Kurma-Madinah-2026!' })
  assert.equal(admin.status, 1, admin.stderr)
  assert.equal(admin.stderr.split('\n').length, 1, admin.stderr)
  assert.match(admin.stderr, /ADMIN_EMAIL/)
  assert.match(admin.stderr, /email/i)
  assert.ok(!admin.stderr.includes('Validation error') || /email /.test(admin.stderr), admin.stderr)
  assert.ok(!admin.stderr.includes('Kurma-Madinah-2026!'), admin.stderr)
})
