/** /periodes: every user reads the saving periods; admins create, change and delete them. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { errorResponses, IdParam, MessageOnly, ok, okList } from '../../lib/schemas.js'
import {
  PeriodeCreateBody,
  PeriodeListQuery,
  PeriodeListResponse,
  PeriodeResponse,
  PeriodeUpdateBody,
  toPeriodeJson,
} from './periodes.schemas.js'

const tags = ['periodes']

export default async function periodesRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const service = app.services.periodes

  app.get(
    '/periodes',
    {
      schema: {
        tags,
        summary: 'Saving periods ordered by start date; active_on=YYYY-MM-DD keeps those containing that day',
        querystring: PeriodeListQuery,
        response: { 200: PeriodeListResponse, ...errorResponses(401, 422) },
      },
    },
    async (request) => {
      const rows = await service.list(request.query.active_on)
      // Never more than a handful of periodes: one page holds them all.
      return okList(rows.map(toPeriodeJson), { page: 1, per_page: Math.max(rows.length, 1), total: rows.length })
    },
  )

  app.get(
    '/periodes/:id',
    {
      schema: {
        tags,
        summary: 'One saving period',
        params: IdParam,
        response: { 200: PeriodeResponse, ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => ok(toPeriodeJson(await service.get(request.params.id))),
  )

  app.post(
    '/periodes',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Create a saving period (start < end, unique name, no overlap with another periode)',
        body: PeriodeCreateBody,
        response: { 201: PeriodeResponse, ...errorResponses(401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const row = await service.create(request.auth, request.body)
      return reply.code(201).send(ok(toPeriodeJson(row), 'Periode created', 201))
    },
  )

  app.put(
    '/periodes/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Change a saving period (any subset of the fields; all rules checked again)',
        params: IdParam,
        body: PeriodeUpdateBody,
        response: { 200: PeriodeResponse, ...errorResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request) => ok(toPeriodeJson(await service.update(request.auth, request.params.id, request.body)), 'Periode updated'),
  )

  app.delete(
    '/periodes/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Delete a saving period (409 when it has transactions)',
        params: IdParam,
        response: { 200: MessageOnly, ...errorResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      await service.delete(request.auth, request.params.id)
      return ok(null, 'Periode deleted')
    },
  )
}
