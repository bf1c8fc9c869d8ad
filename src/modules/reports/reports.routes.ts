/**
 * /reports/*: the member dashboard, the treasurer's periode view, the overall summary and the
 * streamed CSV export. Thin handlers: schema, access level, one service call.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { authErrors, errorResponses, ok, Type } from '../../lib/schemas.js'
import {
  ArrearsQuery,
  ArrearsReport,
  CsvQuery,
  MemberIdParam,
  MemberReport,
  PeriodeIdParam,
  PeriodeReport,
  PeriodeReportQuery,
  RangeQuery,
  SummaryReport,
} from './reports.schemas.js'

const tags = ['reports']

export default async function reportsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const service = app.services.reports

  app.get(
    '/reports/members/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: "A member's savings dashboard (admin: anyone; member: `me` or their own id)",
        params: MemberIdParam,
        response: { 200: MemberReport, ...authErrors, ...errorResponses(404) },
      },
    },
    async (request) => ok(await service.member(request.auth, request.params.id), 'Member report'),
  )

  app.get(
    '/reports/periodes/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Every active member with completed and pending totals for a periode, and who reached its target',
        params: PeriodeIdParam,
        querystring: PeriodeReportQuery,
        response: { 200: PeriodeReport, ...authErrors, ...errorResponses(404) },
      },
    },
    async (request) => {
      const { sort, order, unpaid_first } = request.query
      return ok(await service.periode(request.params.id, { sort, order, unpaidFirst: unpaid_first }), 'Periode report')
    },
  )

  app.get(
    '/reports/arrears',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Every active member in arrears as of a date (what is still missing of each periode target), largest first',
        querystring: ArrearsQuery,
        response: { 200: ArrearsReport, ...authErrors },
      },
    },
    async (request) => ok(await service.arrears(request.query.as_of), 'Arrears report'),
  )

  app.get(
    '/reports/summary',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: 'Totals by status, periode and payment method (admin: everyone; member: their own)',
        querystring: RangeQuery,
        response: { 200: SummaryReport, ...authErrors },
      },
    },
    async (request) => ok(await service.summary(request.auth, request.query), 'Summary report'),
  )

  app.get(
    '/reports/transactions.csv',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: 'CSV export of transactions with the list filters (admin: all; member: owned or reported), streamed',
        querystring: CsvQuery,
        response: {
          200: {
            description: 'UTF-8 CSV with BOM and a header row; amounts with a dot decimal, times in APP_TIMEZONE',
            content: { 'text/csv': { schema: Type.String() } },
          },
          ...authErrors,
        },
      },
    },
    async (request, reply) => {
      const stream = await service.csv(request.auth, request.query)
      return (
        reply
          .type('text/csv; charset=utf-8')
          .header('Content-Disposition', `attachment; filename="transactions-${service.today()}.csv"`)
          // The typed reply only knows serialised bodies; a stream is piped as-is by Fastify.
          .send(stream as unknown as string)
      )
    },
  )
}
