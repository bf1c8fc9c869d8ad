/**
 * /reminders: send arrears reminders now (admin) and the delivery log. The schedule
 * (REMINDER_SCHEDULE, cron in APP_TIMEZONE) runs the same sending in every instance; the unique
 * (member, periode, channel) key makes concurrent runs send each reminder once.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Cron } from 'croner'
import type { FastifyInstance } from 'fastify'
import { Envelope, errorResponses, Id, Instant, ListEnvelope, MoneyOut, Nullable, ok, okList, Type } from '../../lib/schemas.js'

const tags = ['reminders']

const SendBody = Type.Object({ periode_id: Type.Optional(Id) })
const SendResponse = Envelope(
  Type.Object({
    sent: Type.Integer({ description: 'reminders sent now (one per member, periode and channel)' }),
    skipped: Type.Integer({ description: 'reminders already sent earlier for that member, periode and channel' }),
  }),
)
const ReminderOut = Type.Object({
  id: Id,
  user: Type.Object({ id: Id, fullname: Type.String(), username: Type.String() }),
  periode: Type.Object({ id: Id, periode_name: Type.String() }),
  channel: Type.String({ enum: ['inbox', 'email'] }),
  status: Type.String({ enum: ['delivered', 'pending', 'failed'], description: 'e-mail: pending until the mail server accepted it' }),
  amount: MoneyOut,
  error: Nullable(Type.String()),
  created_at: Instant,
  delivered_at: Nullable(Instant),
})
const ListQuery = Type.Object({
  periode_id: Type.Optional(Id),
  page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
  per_page: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
})

export default async function remindersRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const service = app.services.reminders

  const schedule = app.config.reminderSchedule
  if (schedule && app.config.jobs.enabled) {
    let cron: Cron | undefined
    app.addHook('onReady', async () => {
      // protect: a slow run is never overlapped by the next tick of the same instance.
      cron = new Cron(schedule, { timezone: app.config.timezone, protect: true }, async () => {
        try {
          const result = await service.send({})
          app.log.info({ event: 'reminders.scheduled', ...result }, 'scheduled reminders sent')
        } catch (err) {
          app.log.error({ err }, 'scheduled reminders failed')
        }
      })
    })
    app.addHook('preClose', async () => cron?.stop())
  }

  app.post(
    '/reminders',
    {
      config: { auth: 'admin' },
      // No body at all means "every periode", like `{}`.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {}
      },
      schema: {
        tags,
        summary: 'Remind every member in arrears now (optionally for one periode); at most once per member, periode and channel',
        body: SendBody,
        response: { 200: SendResponse, ...errorResponses(401, 403, 404, 422, 429, 503) },
      },
    },
    async (request) => {
      const result = await service.send({ periodeId: request.body.periode_id, triggeredBy: request.auth.userId })
      return ok(result, `${result.sent} reminders sent, ${result.skipped} already sent before`)
    },
  )

  app.get(
    '/reminders',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Reminders sent: to whom, for which periode, by which channel, and whether delivery succeeded (newest first)',
        querystring: ListQuery,
        response: { 200: ListEnvelope(ReminderOut), ...errorResponses(401, 403, 422, 429, 503) },
      },
    },
    async (request) => {
      const { data, meta } = await service.list(request.query)
      return okList(data, meta)
    },
  )
}
