import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
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
