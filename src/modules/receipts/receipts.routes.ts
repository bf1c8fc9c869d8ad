/**
 * Kuitansi: GET /transactions/{id}/receipt.pdf (owner, reporter, admin) and the public, rate-limited
 * GET /verify/receipts/{number}?sig= that the QR code on the PDF opens.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { errorResponses, ok } from '../../lib/schemas.js'
import { MemberIdParam } from '../reports/reports.schemas.js'
import { IdParam, PdfBody, StatementQuery, VerifyParams, VerifyQuery, VerifyResponse } from './receipts.schemas.js'

const tags = ['receipts']
/** Checks per client address per minute: plenty for people scanning receipts, too few to enumerate. */
const VERIFY_PER_MINUTE = 30

export default async function receiptsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { receipts: service, statements } = app.services

  app.get(
    '/transactions/:id/receipt.pdf',
    {
      schema: {
        tags,
        summary: 'The kuitansi (A5 PDF) of a completed deposit: owner, reporter or admin; 409 while not completed',
        params: IdParam,
        response: {
          200: { content: { 'application/pdf': { schema: PdfBody } } },
          ...errorResponses(401, 404, 409, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { number, pdf } = await service.pdf(request.auth, request.params.id)
      return (
        reply
          .type('application/pdf')
          .header('Content-Disposition', `attachment; filename="kuitansi-${number.replaceAll('/', '-')}.pdf"`)
          .header('X-Content-Type-Options', 'nosniff')
          // The typed reply only knows serialised bodies; a Buffer is sent as-is by Fastify.
          .send(pdf as unknown as string)
      )
    },
  )

  app.get(
    '/verify/receipts/:number',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        summary: 'Check a kuitansi from its signed link (public): amount, date and the member initials; 404 for a forged link',
        params: VerifyParams,
        querystring: VerifyQuery,
        response: { 200: VerifyResponse, ...errorResponses(404, 422, 429, 503) },
      },
    },
    async (request) => {
      await app.limits.check(request, [{ name: 'verify-receipt:ip', key: request.ip, max: VERIFY_PER_MINUTE }])
      return ok(await service.verify(request.params.number, request.query.sig), 'This kuitansi is genuine')
    },
  )

  app.get(
    '/reports/members/:id/statement.pdf',
    {
      schema: {
        tags: ['reports'],
        summary:
          "A member's statement (A4 PDF): target, paid, pending, remaining, arrears, one row per periode and per deposit (admin: anyone; member: `me` or their own id)",
        params: MemberIdParam,
        querystring: StatementQuery,
        response: {
          200: { content: { 'application/pdf': { schema: PdfBody } } },
          ...errorResponses(401, 403, 404, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { username, pdf } = await statements.pdf(request.auth, request.params.id, request.query)
      return reply
        .type('application/pdf')
        .header('Content-Disposition', `attachment; filename="rekening-${username.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf"`)
        .header('X-Content-Type-Options', 'nosniff')
        .send(pdf as unknown as string)
    },
  )
}
