/**
 * /transactions: savings deposits. Submission takes the existing client's multipart form (exact
 * field names) or JSON; the rules live in transactions.service.ts.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Counter, Gauge } from 'prom-client'
import type { Static, TSchema } from 'typebox'
import { translate } from '../../i18n/index.js'
import { jsonListBuffer, sendJsonList } from '../../lib/json-list-stream.js'
import { errorResponses, IdParam, MessageOnly, ok } from '../../lib/schemas.js'
import { createListCache, listCacheKey } from './list-cache.js'
import {
  BatchForm,
  BatchJson,
  BatchResponse,
  BulkStatusBody,
  BulkStatusResponse,
  CorrectForm,
  CorrectJson,
  CreateForm,
  CreateJson,
  DEFAULT_PER_PAGE,
  IdempotencyHeaders,
  ListQuery,
  StatusBody,
  TransactionDetailResponse,
  TransactionListResponse,
  TransactionResponse,
} from './transactions.schemas.js'
import type { Submission } from './transactions.service.js'

const tags = ['transactions']

function idempotencyKey(request: FastifyRequest): string | undefined {
  const value = (request.headers as Static<typeof IdempotencyHeaders>)['idempotency-key']
  return value === undefined ? undefined : value.trim() || undefined
}

function send<T>(reply: FastifyReply, result: Submission<T>) {
  if (result.replayed) reply.header('Idempotent-Replayed', 'true')
  return reply.code(result.status).send(result.body)
}

/** A submission route: the client's multipart form or JSON, an optional Idempotency-Key, 201. */
function submissionSchema<R extends TSchema>(summary: string, body: { json: TSchema; form: TSchema }, created: R) {
  return {
    tags,
    summary,
    headers: IdempotencyHeaders,
    body: {
      content: {
        'application/json': { schema: body.json },
        'multipart/form-data': { schema: body.form },
      },
    },
    response: { 201: created, ...errorResponses(401, 409, 413, 415, 422, 429, 503) },
  }
}

/** The correction route: like a submission, on an existing deposit, answering 200 with its history. */
function correctionSchema() {
  return {
    tags,
    summary: 'Correct a deposit an admin marked needs_correction (owner or reporter); it goes back to sent',
    params: IdParam,
    headers: IdempotencyHeaders,
    body: {
      content: {
        'application/json': { schema: CorrectJson },
        'multipart/form-data': { schema: CorrectForm },
      },
    },
    response: { 200: TransactionDetailResponse, ...errorResponses(401, 403, 404, 409, 413, 415, 422, 429, 503) },
  }
}

/** JSON that is already serialised (the typed reply would only take the schema's object). */
function sendSerialised(reply: FastifyReply, body: Buffer) {
  return reply.type('application/json; charset=utf-8').send(body)
}

export default async function transactionsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const service = app.services.transactions
  const listCache = createListCache(app.config.listCacheBytes)
  const cacheOn = app.config.listCacheBytes > 0
  const cacheLookups = new Counter({
    name: 'transaction_list_cache_total',
    help: 'GET /transactions answers by list cache result (hit, miss; nothing when LIST_CACHE_MB=0)',
    labelNames: ['result'] as const,
    registers: [app.metrics.registry],
  })
  // The row cache counts in the service; these read its figures when /metrics is scraped.
  new Counter({
    name: 'transaction_row_cache_rows_total',
    help: 'Rows of transaction lists by row cache result (hit: from memory, miss: fetched; nothing when ROW_CACHE_MB=0)',
    labelNames: ['result'] as const,
    registers: [app.metrics.registry],
    collect() {
      const stats = service.rowCacheStats()
      this.reset()
      this.inc({ result: 'hit' }, stats.hits)
      this.inc({ result: 'miss' }, stats.misses)
    },
  })
  new Gauge({
    name: 'transaction_row_cache_bytes',
    help: 'Bytes of rows and keys held by the row cache (ROW_CACHE_MB bounds it)',
    registers: [app.metrics.registry],
    collect() {
      this.set(service.rowCacheStats().bytes)
    },
  })

  app.post(
    '/transactions',
    {
      schema: submissionSchema(
        'Report a deposit (members must attach the receipt; admins may record cash without one)',
        { json: CreateJson, form: CreateForm },
        TransactionResponse,
      ),
    },
    async (request, reply) => {
      const body = request.body as Static<typeof CreateJson> & Static<typeof CreateForm>
      const multipart = request.isMultipart()
      const userId = multipart ? (body.userId ?? body.user_id) : (body.user_id ?? body.userId)
      const userField = body.userId !== undefined && (multipart || body.user_id === undefined) ? 'userId' : 'user_id'
      const result = await service.create(
        request.auth,
        {
          userId,
          userField,
          amount: body.amount,
          transactionDate: body.transaction_date,
          periodeId: body.periode_id,
          paymentId: body.payment_id,
        },
        request.uploads?.file,
        idempotencyKey(request),
      )
      return send(reply, result)
    },
  )

  app.post(
    '/transactions/batch',
    {
      schema: submissionSchema(
        'One receipt for several members: all allocations are created, or none',
        { json: BatchJson, form: BatchForm },
        BatchResponse,
      ),
    },
    async (request, reply) => {
      const body = request.body as Static<typeof BatchJson> | Static<typeof BatchForm>
      const result = await service.createBatch(
        request.auth,
        {
          allocations: body.allocations,
          transactionDate: body.transaction_date,
          periodeId: body.periode_id,
          paymentId: body.payment_id,
        },
        request.uploads?.file,
        idempotencyKey(request),
      )
      return send(reply, result)
    },
  )

  app.get(
    '/transactions',
    {
      schema: {
        tags,
        summary:
          'Deposits, newest first (members: the ones they own or reported); meta carries exact totals. ' +
          'Without page/per_page every matching row (streamed), with them one page',
        querystring: ListQuery,
        response: { 200: TransactionListResponse, ...errorResponses(401, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      // A cached list is reused only under the marker read now, before any list (list-cache.ts).
      const version = cacheOn ? await service.listMarker(request.auth) : undefined
      const key = listCacheKey(request.auth, request.query, app.signer.expiry(), request.locale)
      const cached = version ? listCache.get(key, version) : undefined
      if (version) cacheLookups.inc({ result: cached ? 'hit' : 'miss' })
      if (cached) return sendSerialised(reply, cached)
      const { page, per_page } = request.query
      let answer: { data: Buffer[]; meta: Record<string, unknown> }
      if (page === undefined && per_page === undefined) {
        const all = await service.listAll(request.auth, request.query)
        // Longer than one chunk: streamed, and not cached (a cached body is the whole list in
        // memory, which is what streaming avoids). Shorter lists are cached like pages.
        if (all.rest) return sendJsonList<Buffer | string>(reply, all, (row) => row)
        answer = { data: all.first, meta: all.meta }
      } else {
        answer = await service.list(request.auth, { ...request.query, page: page ?? 1, per_page: per_page ?? DEFAULT_PER_PAGE })
      }
      // The rows are JSON text already (the read model); the envelope around them is the same as
      // the streamed one's, so a cached, a fresh and a streamed list are written alike.
      const body = jsonListBuffer(translate(request.locale, 'Success'), answer.meta, answer.data)
      if (version) listCache.set(key, version, body)
      return sendSerialised(reply, body)
    },
  )

  app.get(
    '/transactions/:id',
    {
      schema: {
        tags,
        summary: 'One deposit with its status history (owner, reporter or admin)',
        params: IdParam,
        response: { 200: TransactionDetailResponse, ...errorResponses(401, 404, 422, 429, 503) },
      },
    },
    async (request) => ok(await service.get(request.auth, request.params.id)),
  )

  app.put('/transactions/:id', { schema: correctionSchema() }, async (request, reply) => {
    const body = request.body as Static<typeof CorrectJson> & Static<typeof CorrectForm>
    const result = await service.correct(
      request.auth,
      request.params.id,
      { amount: body.amount, transactionDate: body.transaction_date, periodeId: body.periode_id, paymentId: body.payment_id },
      request.uploads?.file,
      idempotencyKey(request),
    )
    return send(reply, result)
  })

  app.post(
    '/transactions/status',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Change the status of up to 500 deposits, each on its own; answers per item',
        body: BulkStatusBody,
        response: { 200: BulkStatusResponse, ...errorResponses(401, 403, 422, 429, 503) },
      },
    },
    async (request) => {
      const items = await service.bulkStatus(request.auth, request.body)
      const done = items.filter((i) => i.ok).length
      return ok(items, `${done} of ${items.length} updated`)
    },
  )

  app.put(
    '/transactions/:id/status',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary:
          'Move a deposit along sent -> on_process -> completed | rejected | needs_correction (rejected and needs_correction need a note)',
        params: IdParam,
        body: StatusBody,
        response: { 200: TransactionDetailResponse, ...errorResponses(401, 403, 404, 409, 422, 429, 503) },
      },
    },
    async (request) => ok(await service.changeStatus(request.auth, request.params.id, request.body), 'Status updated'),
  )

  app.delete(
    '/transactions/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Soft-delete a deposit that is not completed (audited)',
        params: IdParam,
        response: { 200: MessageOnly, ...errorResponses(401, 403, 404, 409, 422, 429, 503) },
      },
    },
    async (request) => {
      await service.remove(request.auth, request.params.id)
      return ok(null, 'Transaction deleted')
    },
  )
}
