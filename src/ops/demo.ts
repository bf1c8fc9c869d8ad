/**
 * `npm run cli -- demo`: fill an EMPTY database with a believable community so a newcomer sees every
 * screen and report populated: one treasurer (admin), 60 members from West Java, three periodes
 * (two past half-years and the next one), four payment methods, and a year of monthly deposits
 * with a small JPEG receipt each (made here with sharp and stored through the same pipeline as an
 * upload), in every state: sent, on_process, completed, rejected. Some members stopped paying, so
 * the current periode's report shows paid and unpaid members.
 *
 * The data is drawn from a seeded generator: two runs on empty databases give the same community
 * (dates are relative to today). The passwords are random, printed once at the end.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import type { Db } from '../db/client.js'
import { discardFile, type StoredFile, storeUpload } from '../modules/files/files.service.js'
import { hashPassword } from '../modules/users/passwords.js'
import type { Storage } from '../plugins/storage.js'
import {
  countCommunity,
  insertFileRecords,
  insertPayments,
  insertPeriodes,
  insertStatusHistory,
  insertTransactions,
  insertUsers,
  type StatusHistoryInsert,
} from './bulk.queries.js'

export interface DemoResult {
  admin: { email: string; username: string; password: string }
  member: { email: string; username: string; password: string }
  members: number
  periodes: { id: number; name: string }[]
  payments: number
  deposits: number
  receipts: number
  by_status: Record<string, number>
}

export type DemoProgress = (done: number, total: number) => void

const FIRST = [
  'Ahmad',
  'Siti',
  'Dewi',
  'Budi',
  'Rina',
  'Asep',
  'Ujang',
  'Euis',
  'Nining',
  'Yusuf',
  'Fatimah',
  'Hendra',
  'Dadang',
  'Nur',
  'Rahmat',
  'Lilis',
  'Agus',
  'Wawan',
  'Iis',
  'Cecep',
  'Yayah',
  'Heri',
  'Nia',
  'Ridwan',
  'Imas',
  'Deden',
  'Tati',
  'Eko',
  'Sri',
  'Aisyah',
]
const LAST = [
  'Hidayat',
  'Suryana',
  'Rahmawati',
  'Nugraha',
  'Saputra',
  'Permana',
  'Kurniawan',
  'Maulana',
  'Setiawan',
  'Hermawan',
  'Sulastri',
  'Wulandari',
  'Fauzi',
  'Ramadhan',
  'Firmansyah',
  'Kusnadi',
  'Supriatna',
  'Hasanah',
  'Mulyana',
  'Gunawan',
]
const CITIES = ['Bandung', 'Cimahi', 'Sumedang', 'Garut', 'Tasikmalaya', 'Bekasi', 'Bogor', 'Cianjur', 'Subang', 'Purwakarta']
const MONTHS = ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli', 'Agustus', 'September', 'Oktober', 'November', 'Desember']
const AMOUNTS = [500_000, 750_000, 1_000_000, 1_000_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000]
const REJECT_NOTES = [
  'Bukti transfer tidak terbaca, mohon unggah ulang',
  'Nominal tidak sesuai dengan mutasi rekening',
  'Transfer belum masuk ke rekening panitia',
]

/** mulberry32: a small seeded generator, so the demo community is the same on every run. */
function seeded(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
  }
}

const CASH = 3
const chunks = <T>(xs: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, i * size + size))
const isoDate = (d: Date) => d.toISOString().slice(0, 10)
const addMonths = (d: Date, n: number) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1))
const rupiah = (n: number) => `Rp ${n.toLocaleString('id-ID')}`

/** True when the database holds no community yet (an admin made by create-admin or ADMIN_EMAIL is allowed). */
export async function isEmptyForDemo(db: Db): Promise<boolean> {
  const n = await countCommunity(db)
  return n.members + n.periodes + n.payments + n.transactions === 0
}

/** A receipt photo stand-in: a bank-app style slip with the amount, date and reference. */
async function receiptJpeg(bank: string, amount: number, when: Date, name: string, ref: string): Promise<Buffer> {
  const esc = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] as string)
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="320">
  <rect width="240" height="320" fill="#f4f6f8"/><rect width="240" height="56" fill="#0b5aa8"/>
  <text x="16" y="35" font-family="sans-serif" font-size="18" fill="#fff">${esc(bank)}</text>
  <text x="16" y="90" font-family="sans-serif" font-size="13" fill="#2a8a3e">Transfer Berhasil</text>
  <text x="16" y="125" font-family="sans-serif" font-size="20" fill="#111">${esc(rupiah(amount))}</text>
  <text x="16" y="160" font-family="sans-serif" font-size="11" fill="#444">${esc(`${when.getUTCDate()} ${MONTHS[when.getUTCMonth()]} ${when.getUTCFullYear()}`)}</text>
  <text x="16" y="185" font-family="sans-serif" font-size="11" fill="#444">Dari: ${esc(name)}</text>
  <text x="16" y="210" font-family="sans-serif" font-size="11" fill="#444">Ke: Padepokan Talangraga</text>
  <text x="16" y="235" font-family="sans-serif" font-size="10" fill="#777">Ref ${esc(ref)}</text></svg>`
  return sharp(Buffer.from(svg)).jpeg({ quality: 70 }).toBuffer()
}

interface PlannedDeposit {
  userIndex: number
  amount: number
  date: Date
  paymentIndex: number
  status: 'sent' | 'on_process' | 'completed' | 'rejected'
  note?: string
}

/** Fill the database. Throws when it already holds a community. */
export async function seedDemo(db: Db, storage: Storage, opts: { now?: Date; onProgress?: DemoProgress } = {}): Promise<DemoResult> {
  if (!(await isEmptyForDemo(db))) {
    throw new Error('the database already holds members, periodes, payments or deposits: demo only fills an empty database')
  }
  const now = opts.now ?? new Date()
  const rnd = seeded(1446)
  const adminPassword = `Demo-${randomBytes(9).toString('base64url')}`
  const memberPassword = `Demo-${randomBytes(9).toString('base64url')}`
  const [adminHash, memberHash] = await Promise.all([hashPassword(adminPassword), hashPassword(memberPassword)])

  // Periodes: the past two half-years (a year of deposits) and the next one, not started yet.
  const thisMonth = addMonths(now, 0)
  const starts = [addMonths(thisMonth, -11), addMonths(thisMonth, -5), addMonths(thisMonth, 1)]
  const periodeRows = starts.map((start, i) => {
    const end = new Date(addMonths(start, 6).getTime() - 86_400_000)
    const name = `Tabungan Umroh Gelombang ${i + 1} (${MONTHS[start.getUTCMonth()]} ${start.getUTCFullYear()} - ${MONTHS[end.getUTCMonth()]} ${end.getUTCFullYear()})`
    return { periodeName: name, startDate: isoDate(start), endDate: isoDate(end), targetAmount: '600000000.00' }
  })
  const paymentRows = [
    { paymentName: 'Transfer BCA', paymentType: 'bank_transfer', accountNumber: '2830451976', accountHolder: 'Padepokan Talangraga' },
    { paymentName: 'Transfer BSI', paymentType: 'bank_transfer', accountNumber: '7154203318', accountHolder: 'Padepokan Talangraga' },
    { paymentName: 'QRIS / GoPay', paymentType: 'e_wallet', accountNumber: '081224503310', accountHolder: 'Talangraga Umroh' },
    { paymentName: 'Tunai di sekretariat', paymentType: 'cash', accountNumber: null, accountHolder: null },
  ]

  // Members: regular savers, irregular ones, some who stopped, a few who joined recently.
  const names = new Set<string>()
  const members: {
    fullname: string
    username: string
    email: string
    phone: string
    city: string
    habit: 'regular' | 'irregular' | 'stopped' | 'new'
  }[] = []
  while (members.length < 60) {
    const fullname = `${rnd.pick(FIRST)} ${rnd.pick(LAST)}`
    if (names.has(fullname)) continue
    names.add(fullname)
    const username = fullname.toLowerCase().replace(' ', '.')
    const r = rnd.next()
    members.push({
      fullname,
      username,
      email: `${username}@demo.talangraga.test`,
      phone: `+62812${String(20_000_000 + members.length * 7_919).padStart(8, '0')}`,
      city: rnd.pick(CITIES),
      habit: r < 0.6 ? 'regular' : r < 0.82 ? 'irregular' : r < 0.93 ? 'stopped' : 'new',
    })
  }

  const plan: PlannedDeposit[] = []
  const recent = now.getTime() - 30 * 86_400_000
  members.forEach((m, userIndex) => {
    const base = rnd.pick(AMOUNTS)
    for (let back = 11; back >= 0; back--) {
      if (m.habit === 'irregular' && rnd.next() < 0.45) continue
      if (m.habit === 'stopped' && back < 6) continue
      if (m.habit === 'new' && back > 2) continue
      const month = addMonths(thisMonth, -back)
      const day = rnd.int(1, 28)
      const date = new Date(month.getTime() + (day - 1) * 86_400_000 + rnd.int(8, 20) * 3_600_000)
      if (date > now) continue
      const amount = rnd.next() < 0.8 ? base : rnd.pick(AMOUNTS)
      const paymentIndex = rnd.next() < 0.1 ? CASH : rnd.int(0, 2)
      const r = rnd.next()
      let status: PlannedDeposit['status']
      if (date.getTime() >= recent) status = r < 0.45 ? 'sent' : r < 0.75 ? 'on_process' : r < 0.93 ? 'completed' : 'rejected'
      else status = r < 0.93 ? 'completed' : 'rejected'
      plan.push({ userIndex, amount, date, paymentIndex, status, ...(status === 'rejected' ? { note: rnd.pick(REJECT_NOTES) } : {}) })
    }
  })
  // Every state shows up even if the draw missed one (the newest deposits are the pending ones).
  const newest = [...plan].sort((a, b) => b.date.getTime() - a.date.getTime())
  for (const [i, status] of (['sent', 'on_process', 'rejected'] as const).entries()) {
    if (!plan.some((p) => p.status === status) && newest[i]) {
      newest[i].status = status
      if (status === 'rejected') newest[i].note = REJECT_NOTES[0] as string
    }
  }

  // Receipts first, four at a time (sharp works on libuv's threads), then every row in one
  // transaction: a failure leaves no row, and the stored files are removed.
  const work = await mkdtemp(path.join(tmpdir(), 'talangraga-demo-'))
  const stored: (StoredFile | undefined)[] = new Array(plan.length)
  let made = 0
  try {
    let next = 0
    const worker = async () => {
      for (let n = next++; n < plan.length; n = next++) {
        const d = plan[n] as PlannedDeposit
        if (d.paymentIndex !== CASH) {
          const member = members[d.userIndex] as (typeof members)[number]
          const bank = paymentRows[d.paymentIndex]?.paymentName as string
          const jpeg = await receiptJpeg(bank, d.amount, d.date, member.fullname, `TRG${String(n + 1).padStart(6, '0')}`)
          const tmp = path.join(work, `${n}.jpg`)
          await writeFile(tmp, jpeg)
          const upload = {
            path: tmp,
            size: jpeg.length,
            sha256: createHash('sha256').update(jpeg).digest('hex'),
            clientFilename: 'bukti.jpg',
          }
          stored[n] = await storeUpload(storage, upload as Parameters<typeof storeUpload>[1], 'receipt')
          await rm(tmp, { force: true })
        }
        opts.onProgress?.(++made, plan.length)
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
  } catch (err) {
    await Promise.all(stored.map((f) => discardFile(storage, f)))
    throw err
  } finally {
    await rm(work, { recursive: true, force: true })
  }

  const byStatus: Record<string, number> = { sent: 0, on_process: 0, completed: 0, rejected: 0 }
  const result: { ids?: { admin: number; members: number[]; periodes: { id: number; name: string }[]; payments: number[] } } = {}
  try {
    await db.transaction(async (tx) => {
      const ids = await (async () => {
        const [admin] = await insertUsers(tx, [
          {
            fullname: 'Hj. Neneng Rohaeti',
            username: 'bendahara',
            email: 'bendahara@demo.talangraga.test',
            userType: 'admin',
            passwordHash: adminHash,
            domisili: 'Bandung',
            phoneNumber: '+6281120001446',
          },
        ])
        const memberIds = await insertUsers(
          tx,
          members.map((m) => ({
            fullname: m.fullname,
            username: m.username,
            email: m.email,
            phoneNumber: m.phone,
            domisili: m.city,
            userType: 'member' as const,
            passwordHash: memberHash,
            savingsTarget: '35000000.00',
          })),
        )
        const periodeIds = await insertPeriodes(tx, periodeRows)
        const paymentIds = await insertPayments(tx, paymentRows)
        return {
          admin: admin?.id as number,
          members: memberIds.map((r) => r.id),
          periodes: periodeIds,
          payments: paymentIds.map((r) => r.id),
        }
      })()
      const periodeOf = (d: Date) => {
        const day = isoDate(d)
        const i = periodeRows.findIndex((p) => p.startDate <= day && day <= p.endDate)
        return i >= 0 ? ids.periodes[i]?.id : undefined
      }
      result.ids = ids
      const withFiles = plan.map((d, n) => ({ d, n, f: stored[n], userId: ids.members[d.userIndex] as number }))
      for (const slice of chunks(
        withFiles.filter((x) => x.f),
        200,
      )) {
        await insertFileRecords(
          tx,
          slice.map(({ f, userId }) => {
            const s = f as StoredFile
            return {
              key: s.key,
              ownerId: userId,
              kind: 'receipt',
              contentType: s.contentType,
              sizeBytes: s.sizeBytes,
              sha256: s.sha256,
              thumbnailKey: s.thumbnailKey,
            }
          }),
        )
      }
      for (const slice of chunks(withFiles, 200)) {
        const values = slice.map(({ d, f, userId }) => {
          // Cash is recorded by the treasurer; transfers are reported by the member with a receipt.
          const reporter = d.paymentIndex === CASH ? ids.admin : userId
          const reported = new Date(d.date.getTime() + 2 * 3_600_000)
          const decided = new Date(d.date.getTime() + 2 * 86_400_000)
          const final = d.status === 'completed' || d.status === 'rejected'
          return {
            amount: `${d.amount}.00`,
            transactionDate: d.date,
            status: d.status,
            userId,
            reportedBy: reporter,
            paymentId: ids.payments[d.paymentIndex],
            periodeId: periodeOf(d.date),
            fileKey: f?.key ?? null,
            fileSha256: f?.sha256 ?? null,
            reportedDate: reported,
            confirmedBy: final ? ids.admin : null,
            confirmedAt: final ? decided : null,
            createdAt: reported,
            updatedAt: d.status === 'sent' ? reported : decided,
          }
        })
        const inserted = await insertTransactions(tx, values)
        const history: StatusHistoryInsert[] = []
        inserted.forEach((row, i) => {
          const v = values[i] as (typeof values)[number]
          const d = (slice[i] as (typeof slice)[number]).d
          history.push({ transactionId: row.id, fromStatus: null, toStatus: 'sent', changedBy: v.reportedBy, createdAt: v.reportedDate })
          if (d.status !== 'sent') {
            history.push({
              transactionId: row.id,
              fromStatus: 'sent',
              toStatus: 'on_process',
              changedBy: ids.admin,
              createdAt: new Date(v.reportedDate.getTime() + 3_600_000),
            })
          }
          if (d.status === 'completed' || d.status === 'rejected') {
            history.push({
              transactionId: row.id,
              fromStatus: 'on_process',
              toStatus: d.status,
              changedBy: ids.admin,
              note: d.note ?? null,
              createdAt: v.updatedAt,
            })
          }
          byStatus[d.status] = (byStatus[d.status] ?? 0) + 1
        })
        await insertStatusHistory(tx, history)
      }
    })
  } catch (err) {
    await Promise.all(stored.map((f) => discardFile(storage, f)))
    throw err
  }
  const receipts = stored.filter(Boolean).length
  const ids = result.ids as NonNullable<typeof result.ids>
  const first = members[0] as (typeof members)[number]
  return {
    admin: { email: 'bendahara@demo.talangraga.test', username: 'bendahara', password: adminPassword },
    member: { email: first.email, username: first.username, password: memberPassword },
    members: members.length,
    periodes: ids.periodes,
    payments: ids.payments.length,
    deposits: plan.length,
    receipts,
    by_status: byStatus,
  }
}
