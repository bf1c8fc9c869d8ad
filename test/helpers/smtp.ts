/**
 * A real SMTP server in the test process: the app sends mail over TCP through nodemailer exactly
 * as in production, and tests read what arrived. Bound to 127.0.0.1 on a free port, closed when the
 * test file ends.
 */
import type { AddressInfo } from 'node:net'
import { after } from 'node:test'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  from: string
  to: string[]
  /** The raw RFC 5322 message (headers and body) as received. */
  raw: string
}

export interface TestSmtp {
  /** For SMTP_URL: plain SMTP on loopback, no TLS. */
  url: string
  messages: ReceivedMail[]
  /** Wait until a message for `to` (case-insensitive) arrives whose raw text matches `match`. */
  waitFor(to: string, match?: RegExp, timeoutMs?: number): Promise<ReceivedMail>
  close(): Promise<void>
}

export async function startSmtp(): Promise<TestSmtp> {
  const messages: ReceivedMail[] = []
  const waiters = new Set<() => void>()
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          raw: Buffer.concat(chunks).toString('utf8'),
        })
        for (const w of waiters) w()
        callback()
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.server.address() as AddressInfo

  const find = (to: string, match?: RegExp) =>
    messages.find((m) => m.to.includes(to.toLowerCase()) && (match === undefined || match.test(m.raw)))

  const smtp: TestSmtp = {
    url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    messages,
    waitFor(to, match, timeoutMs = 5000) {
      const found = find(to, match)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no mail for ${to} within ${timeoutMs} ms (received ${messages.length})`))
        }, timeoutMs)
        const check = () => {
          const m = find(to, match)
          if (!m) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(m)
        }
        waiters.add(check)
      })
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
  after(() => smtp.close())
  return smtp
}
