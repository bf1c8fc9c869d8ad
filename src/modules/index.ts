/** Every module of the API, registered in this order by buildApp. One line per module. */
import type { FastifyPluginAsync } from 'fastify'
import auditRoutes from './audit/audit.routes.js'
import authRoutes from './auth/auth.routes.js'
import filesRoutes from './files/files.routes.js'
import healthRoutes from './health/health.routes.js'
import notificationsRoutes from './notifications/notifications.routes.js'
import paymentsRoutes from './payments/payments.routes.js'
import periodesRoutes from './periodes/periodes.routes.js'
import receiptsRoutes from './receipts/receipts.routes.js'
import remindersRoutes from './reminders/reminders.routes.js'
import reportsRoutes from './reports/reports.routes.js'
import rootRoutes from './root/root.routes.js'
import settingsRoutes from './settings/settings.routes.js'
import transactionsRoutes from './transactions/transactions.routes.js'
import usersRoutes from './users/users.routes.js'
import webhooksRoutes from './webhooks/webhooks.routes.js'

export const modules: FastifyPluginAsync[] = [
  rootRoutes,
  healthRoutes,
  authRoutes,
  filesRoutes,
  reportsRoutes,
  transactionsRoutes,
  usersRoutes,
  periodesRoutes,
  paymentsRoutes,
  receiptsRoutes,
  settingsRoutes,
  auditRoutes,
  notificationsRoutes,
  remindersRoutes,
  webhooksRoutes,
]
