/**
 * Every module's service, built once from the narrow dependencies it uses and decorated as
 * `app.services`. Routes call `app.services.<area>`; nothing else calls a service factory, so a
 * service exists once per app (its caches included) and its dependencies are visible here.
 */
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createAuditService } from '../modules/audit/audit.service.js'
import { createAuthService } from '../modules/auth/auth.service.js'
import { createDownloadsService } from '../modules/files/downloads.service.js'
import { createNotificationsService } from '../modules/notifications/notifications.service.js'
import { createPaymentsService } from '../modules/payments/payments.service.js'
import { createPeriodesService } from '../modules/periodes/periodes.service.js'
import { createReceiptLinks } from '../modules/receipts/receipt-links.js'
import { createReceiptsService } from '../modules/receipts/receipts.service.js'
import { createStatementService } from '../modules/receipts/statement.service.js'
import { createRemindersService } from '../modules/reminders/reminders.service.js'
import { createReportsService } from '../modules/reports/reports.service.js'
import { createSettingsService } from '../modules/settings/settings.service.js'
import { createTransactionsService } from '../modules/transactions/transactions.service.js'
import { createUsersService } from '../modules/users/users.service.js'
import { createWebhooksService } from '../modules/webhooks/webhooks.service.js'

function buildServices(app: FastifyInstance) {
  const { config, database, storage, mailer, log } = app
  const db = database.db
  const timezone = config.timezone
  const kick = () => app.jobs.kick()

  const users = createUsersService({ db, log, storage, mailer, defaultLocale: config.locale })
  const settings = createSettingsService({ db, storage, log })
  const reports = createReportsService({ database, timezone })
  return {
    users,
    auth: createAuthService({ db, config, tokens: app.tokens, mailer, log, users, activeSession: app.activeSession }),
    downloads: createDownloadsService({ db, storage, signer: app.signer, tmpDir: path.join(config.dataDir, 'tmp') }),
    periodes: createPeriodesService({ db, log }),
    payments: createPaymentsService({ db, log }),
    settings,
    reports,
    audit: createAuditService({ db, timezone }),
    notifications: createNotificationsService(db),
    reminders: createRemindersService({ db, timezone, kick, locale: config.locale }),
    receipts: createReceiptsService({
      db,
      settings,
      links: createReceiptLinks({ secret: config.secrets.files, appUrl: config.appUrl }),
      timezone,
    }),
    statements: createStatementService({ db, settings, timezone, reports }),
    transactions: createTransactionsService({
      db,
      storage,
      signer: app.signer,
      timezone,
      log,
      liveness: database.liveness,
      verifyOwnDeposits: config.verifyOwnDeposits,
      kick,
      rowCacheBytes: config.rowCacheBytes,
    }),
    webhooks: createWebhooksService({
      db,
      serverSecret: config.secrets.files,
      allowPrivate: config.webhookAllowPrivate,
      retryBaseMs: config.webhookRetryBaseMs,
      kick,
    }),
  }
}

export type Services = ReturnType<typeof buildServices>

declare module 'fastify' {
  interface FastifyInstance {
    services: Services
  }
}

async function services(app: FastifyInstance) {
  const built = buildServices(app)
  app.decorate('services', built)
  app.addHook('onClose', () => built.auth.settle())
}

export default fp(services, { name: 'services', dependencies: ['jobs'] })
