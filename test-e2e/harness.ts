/**
 * The browser tests' world: the production app (buildApp, the built console from dist/console)
 * listening on a real port over a fresh embedded database, a real SMTP server catching mail, seed
 * data made through the API, and Debian's Chromium driven by playwright-core (no browser download).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { type Browser, chromium } from 'playwright-core'
import sharp from 'sharp'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { ensureBootstrapAdmin } from '../src/modules/users/bootstrap-admin.js'
import { hashPassword } from '../src/modules/users/passwords.js'
import { insertUser } from '../src/modules/users/users.queries.js'
import { multipart } from '../test/helpers/multipart.js'
import { startSmtp, type TestSmtp } from '../test/helpers/smtp.js'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const ADMIN = { email: 'bendahara@example.test', password: 'Kurma-Madinah-2026!' }
export const CONSOLE_DIR = path.resolve('dist', 'console')

/** Without the background-networking flags Chromium stalls on a closed network. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Indonesian browser UI: date inputs read 30/11/2026 as a treasurer's laptop shows them.
  '--lang=id-ID',
]

export interface World {
  app: FastifyInstance
  base: string
  smtp: TestSmtp
  browser: Browser
  adminToken: string
  close(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

export async function startWorld(): Promise<World> {
  if (!existsSync(path.join(CONSOLE_DIR, 'index.html'))) throw new Error('dist/console is missing: run `npm run build` first')
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`)
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-e2e-'))
  const smtp = await startSmtp()
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const config = loadConfig({
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    APP_URL: base,
    SECRET_KEY: 'e2e-access-secret-0123456789abcdef0123456789',
    REFRESH_SECRET_KEY: 'e2e-refresh-secret-0123456789abcdef0123456789',
    LOG_LEVEL: 'silent',
    AUTH_RATE_LIMIT: '10000',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    SMTP_URL: smtp.url,
    // The webhook receiver of the tests listens on 127.0.0.1.
    WEBHOOK_ALLOW_PRIVATE: 'true',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  })
  const app = await buildApp(config, { logger: false, consoleDir: CONSOLE_DIR })
  await ensureBootstrapAdmin(app)
  await app.listen({ host: '127.0.0.1', port })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { identifier: ADMIN.email, password: ADMIN.password } })
  const adminToken = login.json().data.access_token as string
  return {
    app,
    base,
    smtp,
    browser,
    adminToken,
    async close() {
      await browser.close()
      await app.close()
      await smtp.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A call to the API as the bootstrap admin (seed data), failing loudly on anything but 2xx. */
export async function api<T = unknown>(w: World, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<T> {
  const res = await w.app.inject({ method, url, headers: { authorization: `Bearer ${w.adminToken}` }, payload: payload as object })
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
  return res.json().data as T
}

/** A receipt photo: a PNG with the transfer's amount written on it (distinct per call). */
export async function receiptImage(label: string, hue: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="820">
    <rect width="100%" height="100%" fill="hsl(${hue},35%,94%)"/>
    <rect x="30" y="30" width="540" height="90" fill="hsl(${hue},45%,35%)"/>
    <text x="60" y="90" font-size="38" font-family="sans-serif" fill="#fff">BUKTI TRANSFER</text>
    <text x="60" y="220" font-size="30" font-family="sans-serif" fill="#222">Bank Syariah Indonesia</text>
    <text x="60" y="330" font-size="56" font-family="sans-serif" font-weight="bold" fill="#111">${label}</text>
    <text x="60" y="430" font-size="26" font-family="sans-serif" fill="#444">Ke: Talangraga Umroh 7001234567</text>
    <text x="60" y="480" font-size="26" font-family="sans-serif" fill="#444">Berita: tabungan umroh</text>
  </svg>`
  return sharp(Buffer.from(svg)).png().toBuffer()
}

export interface Seed {
  periodeId: number
  paymentId: number
  members: { id: number; username: string; fullname: string; email: string }[]
  pendingIds: number[]
}

const NAMES = [
  'Ahmad Fauzi',
  'Siti Aminah',
  'Budi Santoso',
  'Dewi Lestari',
  'Rahmat Hidayat',
  'Nur Aisyah',
  'Hendra Gunawan',
  'Fitri Handayani',
]

/**
 * A periode with a target, two payment methods, `memberCount` members and `pending` waiting deposits
 * with receipts (batches of 100 allocations sharing one receipt: the fast way to make 500), plus a
 * few completed ones so the board and the dashboard have figures.
 */
export async function seed(w: World, memberCount: number, pending: number): Promise<Seed> {
  const today = new Date().toISOString().slice(0, 10)
  const year = today.slice(0, 4)
  await api(w, 'POST', '/periodes', {
    periode_name: `Periode Jan–Jun ${year}`,
    start_date: `${year}-01-01`,
    end_date: `${year}-06-30`,
    target_amount: '3000000',
  })
  const periode = await api<{ id: number }>(w, 'POST', '/periodes', {
    periode_name: `Periode Jul–Des ${year}`,
    start_date: `${year}-07-01`,
    end_date: `${year}-12-31`,
    target_amount: '3000000',
  })
  const payment = await api<{ id: number }>(w, 'POST', '/payments', {
    payment_name: 'BSI 7001234567',
    payment_type: 'bank_transfer',
    account_number: '7001234567',
    account_holder: 'Talangraga Umroh',
  })
  await api(w, 'POST', '/payments', { payment_name: 'Tunai', payment_type: 'cash' })
  // Members straight into the database with one password hash (creating them over HTTP is tested in the browser).
  const members: Seed['members'] = []
  const passwordHash = await hashPassword(ADMIN.password)
  for (let i = 0; i < memberCount; i++) {
    const fullname = `${NAMES[i % NAMES.length]}${i >= NAMES.length ? ` ${Math.floor(i / NAMES.length) + 1}` : ''}`
    const username = `anggota${i + 1}`
    const email = `${username}@example.test`
    const row = await insertUser(w.app.database.db, {
      fullname,
      username,
      email,
      phoneNumber: null,
      userType: 'member',
      isActive: true,
      passwordHash,
    })
    members.push({ id: row.id, username, fullname, email })
  }
  const pendingIds: number[] = []
  const date = new Date(Date.now() - 3600_000).toISOString()
  // A member appears at most once per batch.
  const perBatch = Math.min(100, members.length)
  for (let start = 0, batch = 0; start < pending; start += perBatch, batch++) {
    const count = Math.min(perBatch, pending - start)
    const allocations = Array.from({ length: count }, (_, k) => ({
      user_id: members[(start + k) % members.length]!.id,
      amount: String(250_000 + ((start + k) % 8) * 50_000),
    }))
    const form = multipart(
      { allocations: JSON.stringify(allocations), transaction_date: date, periode_id: String(periode.id), payment_id: String(payment.id) },
      [
        {
          field: 'file',
          filename: `bukti-${batch}.png`,
          type: 'image/png',
          data: await receiptImage(`Ref. TRX-${String(batch + 1).padStart(4, '0')}`, batch * 50),
        },
      ],
    )
    const res = await w.app.inject({
      method: 'POST',
      url: '/transactions/batch',
      headers: { ...form.headers, authorization: `Bearer ${w.adminToken}` },
      payload: form.payload,
    })
    if (res.statusCode !== 201) throw new Error(`batch: ${res.statusCode} ${res.body}`)
    for (const t of res.json().data as { id: number }[]) pendingIds.push(t.id)
  }
  // A few completed deposits (cash) so the board shows who paid.
  for (const m of members.slice(0, Math.min(3, members.length))) {
    const t = await api<{ id: number }>(w, 'POST', '/transactions', {
      user_id: m.id,
      amount: '3000000',
      transaction_date: date,
      periode_id: periode.id,
      payment_id: payment.id,
    })
    await api(w, 'PUT', `/transactions/${t.id}/status`, { status: 'completed' })
  }
  return { periodeId: periode.id, paymentId: payment.id, members, pendingIds }
}
