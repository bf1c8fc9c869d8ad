/**
 * /notifications: every user's inbox; /users/me/notification-settings: the e-mail opt-out.
 * Also wires the module's background parts: the event subscriber and the mail job.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { errorResponses, IdParam, ok } from '../../lib/schemas.js'
import { markReminderDelivered, markReminderFailed } from '../reminders/reminders.queries.js'
import {
  InboxQuery,
  InboxResponse,
  NotificationResponse,
  NotificationSettings,
  NotificationSettingsResponse,
  ReadAllResponse,
} from './notifications.schemas.js'
import { MAIL_JOB, type MailPayload, notificationsSubscriber } from './notifications.service.js'

const tags = ['notifications']

export default async function notificationsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const db = app.database.db
  const service = app.services.notifications

  app.events.subscribe(notificationsSubscriber(app.config.timezone, app.config.locale))
  app.jobs.register(MAIL_JOB, {
    async run(job) {
      const mail = job.payload as MailPayload
      await app.mailer.deliver({ to: mail.to, subject: mail.subject, text: mail.text })
      if (mail.reminder_id) {
        await markReminderDelivered(db, mail.reminder_id)
      }
    },
    async onGiveUp(job, error, exec) {
      const mail = job.payload as MailPayload
      if (mail.reminder_id) await markReminderFailed(exec, mail.reminder_id, error)
    },
  })

  app.get(
    '/notifications',
    {
      schema: {
        tags,
        summary: "The caller's inbox, newest first; meta.unread counts the unread items",
        querystring: InboxQuery,
        response: { 200: InboxResponse, ...errorResponses(401, 422, 429, 503) },
      },
    },
    async (request) => {
      const { data, meta } = await service.list(request.auth.userId, request.query.page, request.query.per_page)
      return { code: 200, message: 'Success', data, meta }
    },
  )

  app.post(
    '/notifications/:id/read',
    {
      schema: {
        tags,
        summary: 'Mark one of your notifications read',
        params: IdParam,
        response: { 200: NotificationResponse, ...errorResponses(401, 404, 422, 429, 503) },
      },
    },
    async (request) => ok(await service.read(request.auth.userId, request.params.id), 'Notification marked read'),
  )

  app.post(
    '/notifications/read-all',
    {
      schema: {
        tags,
        summary: 'Mark all your notifications read',
        response: { 200: ReadAllResponse, ...errorResponses(401, 429, 503) },
      },
    },
    async (request) => ok(await service.readAll(request.auth.userId), 'All notifications marked read'),
  )

  app.put(
    '/users/me/notification-settings',
    {
      schema: {
        tags,
        summary: 'Turn notification e-mail on or off for yourself (the inbox always receives them)',
        body: NotificationSettings,
        response: { 200: NotificationSettingsResponse, ...errorResponses(401, 422, 429, 503) },
      },
    },
    async (request) => ok(await service.setEmail(request.auth.userId, request.body.email), 'Notification settings saved'),
  )
}
