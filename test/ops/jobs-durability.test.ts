/**
 * Background work survives a killed process: a real server (child process) commits a status change
 * and is killed with SIGKILL before its worker delivers anything; a new server on the same data
 * (the embedded PGlite directory, or the same PostgreSQL database) delivers the e-mail.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { TEST_DATABASE_URL } from '../helpers/database.js'
import { startSmtp } from '../helpers/smtp.js'
import { http, PASSWORD, type ServerProcess, scratchDatabase, startServer } from './support.js'

for (const kind of ['pglite', 'postgresql'] as const) {
  test(`kill -9 between the change and its delivery: the restarted server still delivers (${kind})`, async (t) => {
    if (kind === 'postgresql' && !TEST_DATABASE_URL) return t.skip('needs TEST_DATABASE_URL')
    const smtp = await startSmtp()
    const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-jobs-'))
    const scratch = kind === 'postgresql' ? await scratchDatabase(TEST_DATABASE_URL as string) : undefined
    const servers: ServerProcess[] = []
    t.after(async () => {
      await Promise.all(servers.map((s) => s.stop('SIGKILL')))
      await scratch?.drop()
      rmSync(dataDir, { recursive: true, force: true })
    })
    const env = {
      DATA_DIR: dataDir,
      ADMIN_EMAIL: 'bendahara@example.test',
      ADMIN_PASSWORD: PASSWORD,
      SMTP_URL: smtp.url,
      JOBS_POLL_MS: '100',
      LOG_LEVEL: 'warn',
      ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    }
    // The first server commits changes but never runs background work: as if it died before.
    const first = await startServer({ ...env, JOBS_ENABLED: 'false' })
    servers.push(first)
    const admin = await http(first.url, 'POST', '/auth/login', { body: { identifier: 'bendahara@example.test', password: PASSWORD } })
    assert.equal(admin.status, 200, admin.text)
    const data = <T>(r: { json?: { data: unknown } | undefined }) => r.json?.data as T
    const token = data<{ access_token: string }>(admin).access_token
    const reg = await http(first.url, 'POST', '/auth/register', {
      body: { fullname: 'Siti Aminah', username: 'siti', email: 'siti@example.test', password: PASSWORD },
    })
    assert.equal(reg.status < 300, true, reg.text)
    const memberId = data<{ id: number }>(reg).id
    const dep = await http(first.url, 'POST', '/transactions', {
      token,
      body: { user_id: memberId, amount: '750000.0', transaction_date: '2025-02-01 10:00' },
    })
    assert.equal(dep.status, 201, dep.text)
    const id = data<{ id: number }>(dep).id
    // The sole admin recorded it and may verify it (VERIFY_OWN_DEPOSITS=single-admin).
    const done = await http(first.url, 'PUT', `/transactions/${id}/status`, { token, body: { status: 'completed' } })
    assert.equal(done.status, 200, done.text)

    await first.stop('SIGKILL')
    assert.equal(smtp.messages.length, 0, 'nothing was delivered before the kill')

    const second = await startServer(env)
    servers.push(second)
    const mail = await smtp.waitFor('siti@example.test', new RegExp(`#${id}`), 20_000)
    assert.match(mail.raw, /diverifikasi/)
    // Delivered once, and the inbox item exists once.
    await new Promise((r) => setTimeout(r, 500))
    assert.equal(smtp.messages.filter((m) => m.to.includes('siti@example.test')).length, 1)
    const login = await http(second.url, 'POST', '/auth/login', { body: { identifier: 'siti', password: PASSWORD } })
    const inbox = await http(second.url, 'GET', '/notifications', { token: data<{ access_token: string }>(login).access_token })
    assert.deepEqual(
      data<{ type: string }[]>(inbox).map((n) => n.type),
      ['deposit.completed'],
    )
  })
}
