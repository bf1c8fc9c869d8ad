/** /audit and /audit.csv: the audit log for admins and auditors (auditors read as admins). */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { errorResponses, okList, Type } from '../../lib/schemas.js'
import { localDate } from '../transactions/instants.js'
import { AuditCsvQuery, AuditListResponse, AuditQuery } from './audit.schemas.js'

const tags = ['audit']

export default async function auditRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const service = app.services.audit

  app.get(
    '/audit',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Who changed what (money, users, periodes, payment methods, settings, webhooks), newest first; admins and auditors',
        querystring: AuditQuery,
        response: { 200: AuditListResponse, ...errorResponses(401, 403, 422, 429, 503) },
      },
    },
    async (request) => {
      const { data, meta } = await service.list(request.query)
      return okList(data, meta)
    },
  )

  app.get(
    '/audit.csv',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'The audit log as CSV (streamed; same filters as /audit); admins and auditors',
        querystring: AuditCsvQuery,
        response: {
          200: { description: 'CSV, UTF-8 with BOM', content: { 'text/csv': { schema: Type.String() } } },
          ...errorResponses(401, 403, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const stream = await service.csv(request.query)
      return (
        reply
          .type('text/csv; charset=utf-8')
          .header('Content-Disposition', `attachment; filename="audit-${localDate(new Date(), app.config.timezone)}.csv"`)
          // The typed reply only knows serialised bodies; a stream is piped as-is by Fastify.
          .send(stream as unknown as string)
      )
    },
  )
}
