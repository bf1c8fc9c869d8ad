/**
 * Backup and restore of the embedded default through the real CLI: back up a DATA_DIR holding a
 * user with a profile image, wipe it, restore, and the data, the files and the generated secrets
 * (tokens issued before still work) are back. Restore refuses a non-empty DATA_DIR without --force
 * and refuses a damaged archive.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { gunzipSync, gzipSync } from 'node:zlib'
import sharp from 'sharp'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { PASSWORD, ROOT } from './support.js'

const run = promisify(execFile)

async function cli(dataDir: string, args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
      timeout: 120_000,
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

/** The embedded app on DATA_DIR, as `npm start` would open it (secrets generated in DATA_DIR). */
async function openApp(dataDir: string) {
  const app = await buildApp(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', AUTH_RATE_LIMIT: '1000' }), { logger: false })
  await app.ready()
  return app
}

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile())
      out[path.relative(dir, path.join(e.parentPath, e.name))] = readFileSync(path.join(e.parentPath, e.name)).toString('base64')
  }
  return out
}

test('backup, wipe, restore: database rows, uploaded files and secrets come back', { timeout: 240_000 }, async (t) => {
  const work = mkdtempSync(path.join(tmpdir(), 'talangraga-backup-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  const dataDir = path.join(work, 'data')
  const archive = path.join(work, 'backup.tar.gz')

  let app = await openApp(dataDir)
  const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#c33' } })
    .png()
    .toBuffer()
  const form = new FormData()
  form.set('fullname', 'Backup Person')
  form.set('username', 'backupperson')
  form.set('email', 'backup.person@example.test')
  form.set('password', PASSWORD)
  form.set('image_profile', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'me.png')
  const request = new Request('http://localhost/auth/register', { method: 'POST', body: form })
  const reg = await app.inject({
    method: 'POST',
    url: '/auth/register',
    headers: Object.fromEntries(request.headers),
    payload: Buffer.from(await request.arrayBuffer()),
  })
  assert.equal(reg.statusCode, 201, reg.body)
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { identifier: 'backupperson', password: PASSWORD } })
  assert.equal(login.statusCode, 200)
  const token = login.json().data.access_token as string
  await app.close()
  const filesBefore = filesUnder(path.join(dataDir, 'files'))
  assert.ok(Object.keys(filesBefore).length >= 1, 'the profile image (and thumbnail) are on disk')

  const backup = await cli(dataDir, ['backup', archive])
  assert.equal(backup.code, 0, backup.stderr)
  assert.match(backup.stdout, /backup written/)

  rmSync(dataDir, { recursive: true, force: true })

  const restore = await cli(dataDir, ['restore', archive])
  assert.equal(restore.code, 0, restore.stderr)
  assert.deepEqual(filesUnder(path.join(dataDir, 'files')), filesBefore, 'every file back, byte for byte')

  app = await openApp(dataDir)
  try {
    // Same secrets: the token issued before the backup is still valid, the session still there.
    const profile = await app.inject({ method: 'GET', url: '/auth/profile', headers: { authorization: `Bearer ${token}` } })
    assert.equal(profile.statusCode, 200, profile.body)
    assert.equal(profile.json().data.username, 'backupperson')
    const again = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { identifier: 'backup.person@example.test', password: PASSWORD },
    })
    assert.equal(again.statusCode, 200)
  } finally {
    await app.close()
  }

  // A second restore into the now non-empty DATA_DIR is refused without --force.
  const refused = await cli(dataDir, ['restore', archive])
  assert.notEqual(refused.code, 0)
  assert.match(refused.stderr, /already holds a database or files; restore with --force/)
  assert.equal((await cli(dataDir, ['restore', archive, '--force'])).code, 0)

  // A damaged archive (one byte of a stored file flipped) is refused and changes nothing.
  const tar = gunzipSync(readFileSync(archive))
  let at = -1
  for (let o = 0; o < tar.length; o += 512) {
    if (tar.toString('utf8', o, o + 6) === 'files/') {
      at = o
      break
    }
  }
  assert.ok(at > 0, 'a stored file header')
  const damaged = Buffer.from(tar)
  const dataStart = at + 512 // first byte of the first stored file's content
  damaged[dataStart] = (damaged[dataStart] as number) ^ 0xff
  const bad = path.join(work, 'damaged.tar.gz')
  writeFileSync(bad, gzipSync(damaged))
  const broken = await cli(dataDir, ['restore', bad, '--force'])
  assert.notEqual(broken.code, 0)
  assert.match(broken.stderr, /missing or damaged/)
  assert.deepEqual(filesUnder(path.join(dataDir, 'files')), filesBefore)
})

test('backup is refused for PostgreSQL deployments with a pointer to pg_dump', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-backup-pg-'))
  try {
    const { code, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'backup', path.join(dataDir, 'x.tar.gz')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
    }).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    )
    assert.equal(code, 2)
    assert.match(stderr, /pg_dump/)
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test('restore still reads format 1 archives (the database as one nested pgdata.tar from dumpDataDir)', { timeout: 120_000 }, async (t) => {
  const { PGlite } = await import('@electric-sql/pglite')
  const tar = (await import('tar-stream')).default
  const { createHash } = await import('node:crypto')
  const { restoreEmbedded } = await import('../../src/ops/backup.js')
  const work = mkdtempSync(path.join(tmpdir(), 'talangraga-backup-v1-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))

  const source = new PGlite()
  await source.exec("CREATE TABLE kept (note text); INSERT INTO kept VALUES ('from a format 1 backup')")
  const dump = Buffer.from(await (await source.dumpDataDir('none')).arrayBuffer())
  await source.close()
  const secrets = Buffer.from(JSON.stringify({ access: 'a'.repeat(43), refresh: 'r'.repeat(43), files: 'f'.repeat(43) }))
  const receipt = Buffer.from('not really a jpeg')
  const entries: [string, Buffer][] = [
    ['pgdata.tar', dump],
    ['secrets.json', secrets],
    ['files/receipts/2026/01/x.jpg', receipt],
  ]
  const manifest = {
    format: 'talangraga-backup',
    version: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    database: 'pglite',
    entries: entries.map(([name, data]) => ({ name, size: data.length, sha256: createHash('sha256').update(data).digest('hex') })),
  }
  const pack = tar.pack()
  for (const [name, data] of [...entries, ['manifest.json', Buffer.from(JSON.stringify(manifest))] as [string, Buffer]])
    pack.entry({ name }, data)
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const c of pack) chunks.push(c as Buffer)
  const archive = path.join(work, 'v1.tar.gz')
  writeFileSync(archive, gzipSync(Buffer.concat(chunks)))

  const dataDir = path.join(work, 'data')
  const restored = await restoreEmbedded(dataDir, archive)
  assert.equal(restored.version, 1)
  assert.equal(readFileSync(path.join(dataDir, 'files/receipts/2026/01/x.jpg'), 'utf8'), 'not really a jpeg')
  assert.deepEqual(JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')), JSON.parse(secrets.toString()))
  const db = new PGlite(path.join(dataDir, 'pgdata'))
  try {
    const { rows } = await db.query<{ note: string }>('SELECT note FROM kept')
    assert.deepEqual(rows, [{ note: 'from a format 1 backup' }])
  } finally {
    await db.close()
  }
})
