/**
 * Outgoing mail. SMTP through nodemailer when SMTP_URL is set; otherwise each message is written
 * to the server log at info level (the embedded default has no mail server). Sending happens in
 * the background so that response timing never depends on whether a mail was sent (R10).
 */
import type { FastifyBaseLogger } from 'fastify'
import nodemailer from 'nodemailer'
import type { Config } from '../config.js'

export interface MailMessage {
  to: string
  subject: string
  text: string
}

export interface Mailer {
  /** Queue a message; never throws, never waits for the SMTP server. */
  send(message: MailMessage): void
  /** Wait for queued messages (graceful shutdown and tests). */
  flush(): Promise<void>
  /**
   * Send now and wait: throws when the SMTP server refuses or cannot be reached, so the background
   * job that calls it is retried. Without SMTP_URL the message is logged (and counts as sent).
   */
  deliver(message: MailMessage): Promise<void>
}

export function createMailer(config: Pick<Config, 'smtpUrl' | 'mailFrom'>, log: FastifyBaseLogger): Mailer {
  const transport = config.smtpUrl ? nodemailer.createTransport(config.smtpUrl) : undefined
  const pending = new Set<Promise<void>>()
  return {
    send(message) {
      const job = (async () => {
        if (!transport) {
          log.info({ mail: { to: message.to, subject: message.subject, text: message.text } }, 'outgoing mail (no SMTP_URL set)')
          return
        }
        try {
          await transport.sendMail({ from: config.mailFrom, ...message })
        } catch (err) {
          log.error({ err: (err as Error).message, subject: message.subject }, 'mail delivery failed')
        }
      })()
      pending.add(job)
      void job.finally(() => pending.delete(job))
    },
    async flush() {
      await Promise.all([...pending])
    },
    async deliver(message) {
      if (!transport) {
        log.info({ mail: { to: message.to, subject: message.subject, text: message.text } }, 'outgoing mail (no SMTP_URL set)')
        return
      }
      await transport.sendMail({ from: config.mailFrom, ...message })
    },
  }
}
