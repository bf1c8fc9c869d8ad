/** /payments: every user reads the payment methods (members: active ones); admins manage them. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { errorResponses, IdParam, ok, okList } from '../../lib/schemas.js'
import {
  PaymentCreateBody,
  PaymentDeleteResponse,
  PaymentListQuery,
  PaymentListResponse,
  PaymentResponse,
  PaymentUpdateBody,
  toPaymentJson,
} from './payments.schemas.js'

const tags = ['payments']

export default async function paymentsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const service = app.services.payments

  app.get(
    '/payments',
    {
      schema: {
        tags,
        summary: 'Payment methods ordered by name (members: active only; admins: all, or filter is_active)',
        querystring: PaymentListQuery,
        response: { 200: PaymentListResponse, ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const rows = await service.list(request.auth, request.query.is_active)
      // A short list: one page holds all of it.
      return okList(rows.map(toPaymentJson), { page: 1, per_page: Math.max(rows.length, 1), total: rows.length })
    },
  )

  app.get(
    '/payments/:id',
    {
      schema: {
        tags,
        summary: 'One payment method (an inactive one is 404 for members)',
        params: IdParam,
        response: { 200: PaymentResponse, ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => ok(toPaymentJson(await service.get(request.auth, request.params.id))),
  )

  app.post(
    '/payments',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Create a payment method (unique name, case-insensitive)',
        body: PaymentCreateBody,
        response: { 201: PaymentResponse, ...errorResponses(401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const row = await service.create(request.auth, request.body)
      return reply.code(201).send(ok(toPaymentJson(row), 'Payment method created', 201))
    },
  )

  app.put(
    '/payments/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Change a payment method (any subset of the fields)',
        params: IdParam,
        body: PaymentUpdateBody,
        response: { 200: PaymentResponse, ...errorResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request) => ok(toPaymentJson(await service.update(request.auth, request.params.id, request.body)), 'Payment method updated'),
  )

  app.delete(
    '/payments/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Delete a payment method; one with transactions is deactivated instead (data = the method)',
        params: IdParam,
        response: { 200: PaymentDeleteResponse, ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const result = await service.delete(request.auth, request.params.id)
      return result.outcome === 'deleted'
        ? ok(null, 'Payment method deleted')
        : ok(toPaymentJson(result.payment), 'Payment method has transactions, so it was deactivated instead of deleted')
    },
  )
}
