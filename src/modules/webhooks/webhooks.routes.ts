/** /webhooks: admin CRUD, the delivery log and manual retry; wires the fan-out and the delivery job. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Envelope, errorResponses, Id, IdParam, Instant, ListEnvelope, MessageOnly, Nullable, ok, okList, Type } from '../../lib/schemas.js'
import { EVENT_TYPES } from '../jobs/events.js'
import { DELIVERY_JOB } from './webhooks.service.js'

const tags = ['webhooks']
const EventType = Type.String({ enum: [...EVENT_TYPES] })
const Url = Type.String({ minLength: 8, maxLength: 2000, description: 'http(s); private, loopback and link-local addresses are refused' })
const WebhookOut = Type.Object({
  id: Id,
  url: Type.String(),
  events: Type.Array(EventType),
  description: Nullable(Type.String()),
  is_active: Type.Boolean(),
  created_at: Instant,
  updated_at: Instant,
})
const CreatedOut = Type.Object({
  ...WebhookOut.properties,
  secret: Type.String({ description: 'the signing secret, shown only in this answer' }),
})
const CreateBody = Type.Object({
  url: Url,
  events: Type.Array(EventType, { minItems: 1, maxItems: EVENT_TYPES.length }),
  description: Type.Optional(Type.String({ maxLength: 500 })),
})
const UpdateBody = Type.Object({
  url: Type.Optional(Url),
  events: Type.Optional(Type.Array(EventType, { minItems: 1, maxItems: EVENT_TYPES.length })),
  description: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  is_active: Type.Optional(Type.Boolean()),
})
const DeliveryOut = Type.Object({
  id: Id,
  event_id: Type.String({ format: 'uuid' }),
  event_type: EventType,
  status: Type.String({ enum: ['pending', 'succeeded', 'failed'] }),
  attempts: Type.Integer(),
  last_status_code: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  next_attempt_at: Nullable(Instant),
  created_at: Instant,
  delivered_at: Nullable(Instant),
})
const Page = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
  per_page: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
})
const DeliveryParams = Type.Object({ id: Id, delivery_id: Id })

export default async function webhooksRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const service = app.services.webhooks
  app.events.subscribe(service.fanOut)
  app.jobs.register(DELIVERY_JOB, service.handler)

  const admin = { auth: 'admin' as const }

  app.post(
    '/webhooks',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Register a webhook; the answer shows its signing secret once',
        body: CreateBody,
        response: { 201: Envelope(CreatedOut), ...errorResponses(401, 403, 422, 429, 503) },
      },
    },
    async (request, reply) => reply.code(201).send(ok(await service.create(request.auth.userId, request.body), 'Webhook created', 201)),
  )

  app.get(
    '/webhooks',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Registered webhooks',
        response: { 200: Envelope(Type.Array(WebhookOut)), ...errorResponses(401, 403, 429, 503) },
      },
    },
    async () => ok(await service.list()),
  )

  app.get(
    '/webhooks/:id',
    {
      config: admin,
      schema: {
        tags,
        summary: 'One webhook',
        params: IdParam,
        response: { 200: Envelope(WebhookOut), ...errorResponses(401, 403, 404, 422, 429, 503) },
      },
    },
    async (request) => ok(await service.get(request.params.id)),
  )

  app.put(
    '/webhooks/:id',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Change a webhook (url, events, description, is_active); the secret stays',
        params: IdParam,
        body: UpdateBody,
        response: { 200: Envelope(WebhookOut), ...errorResponses(401, 403, 404, 422, 429, 503) },
      },
    },
    async (request) => ok(await service.update(request.auth.userId, request.params.id, request.body), 'Webhook updated'),
  )

  app.delete(
    '/webhooks/:id',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Delete a webhook and its delivery log',
        params: IdParam,
        response: { 200: MessageOnly, ...errorResponses(401, 403, 404, 422, 429, 503) },
      },
    },
    async (request) => {
      await service.remove(request.auth.userId, request.params.id)
      return ok(null, 'Webhook deleted')
    },
  )

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: admin,
      schema: {
        tags,
        summary: "A webhook's deliveries, newest first, with their attempts and last result",
        params: IdParam,
        querystring: Page,
        response: { 200: ListEnvelope(DeliveryOut), ...errorResponses(401, 403, 404, 422, 429, 503) },
      },
    },
    async (request) => {
      const { data, meta } = await service.deliveries(request.params.id, request.query.page, request.query.per_page)
      return okList(data, meta)
    },
  )

  app.post(
    '/webhooks/:id/deliveries/:delivery_id/retry',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Deliver again now: the same event id and body, retried for another 24 hours',
        params: DeliveryParams,
        response: { 200: Envelope(DeliveryOut), ...errorResponses(401, 403, 404, 422, 429, 503) },
      },
    },
    async (request) => ok(await service.retry(request.params.id, request.params.delivery_id), 'Delivery queued'),
  )
}
