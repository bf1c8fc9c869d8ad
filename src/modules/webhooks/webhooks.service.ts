/**
 * Webhooks (SPEC §7): admins register endpoints for event types; each event becomes one delivery
 * per subscribed webhook (in the event's fan-out transaction), POSTed as `{id, type, created_at,
 * data}` with a `Talangraga-Signature`, retried with exponential backoff for 24 hours by the jobs
 * worker, with a log of deliveries and a manual retry.
 */
import http from 'node:http'
import https from 'node:https'
import { recordAudit } from '../../db/audit.js'
import type { Db, Executor } from '../../db/client.js'
import { notFound, validation } from '../../lib/errors.js'
import type { DomainEvent } from '../jobs/events.js'
import { enqueue } from '../jobs/jobs.queries.js'
import { type ClaimedJob, type JobHandler, PermanentJobError } from '../jobs/worker.js'
import * as q from './webhooks.queries.js'
import { guardedLookup, newSecret, secretBox, signature, urlProblem } from './webhooks.security.js'

export const DELIVERY_JOB = 'webhook.deliver'
const RETRY_WINDOW_MS = 24 * 3600 * 1000
const TIMEOUT_MS = 10_000
const MAX_BACKOFF_MS = 3600_000

export interface WebhooksDeps {
  db: Db
  serverSecret: string
  allowPrivate: boolean
  /** First retry delay; doubles each attempt up to an hour (default 10 s: first retry within 30 s). */
  retryBaseMs: number
  kick: () => void
}

const toJson = (w: q.WebhookRow) => ({
  id: w.id,
  url: w.url,
  events: w.events,
  description: w.description,
  is_active: w.isActive,
  created_at: w.createdAt.toISOString(),
  updated_at: w.updatedAt.toISOString(),
})

const deliveryJson = (d: q.DeliveryRow) => ({
  id: d.id,
  event_id: d.eventId,
  event_type: d.eventType,
  status: d.status as 'pending' | 'succeeded' | 'failed',
  attempts: d.attempts,
  last_status_code: d.lastStatusCode,
  last_error: d.lastError,
  next_attempt_at: d.nextAttemptAt ? d.nextAttemptAt.toISOString() : null,
  created_at: d.createdAt.toISOString(),
  delivered_at: d.deliveredAt ? d.deliveredAt.toISOString() : null,
})

/** One POST; resolves with the status code, rejects on network errors and the 10 s timeout. */
function post(url: string, body: string, headers: Record<string, string>, allowPrivate: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url)
    const client = target.protocol === 'https:' ? https : http
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        lookup: guardedLookup(allowPrivate),
        timeout: TIMEOUT_MS,
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)))
    req.on('error', reject)
    req.end(body)
  })
}

export function createWebhooksService({ db, serverSecret, allowPrivate, retryBaseMs, kick }: WebhooksDeps) {
  const box = secretBox(serverSecret)

  async function checkUrl(url: string) {
    const problem = await urlProblem(url, allowPrivate)
    if (problem) throw validation(problem, 'url')
  }

  async function find(id: number) {
    const row = await q.findWebhook(db, id)
    if (!row) throw notFound('Webhook')
    return row
  }

  function deliveryJob(deliveryId: number, from = Date.now()) {
    return { kind: DELIVERY_JOB, payload: { delivery_id: deliveryId }, maxAttempts: 1000, giveUpAt: new Date(from + RETRY_WINDOW_MS) }
  }

  /**
   * The active webhooks of an event type, read once per fan-out transaction: the worker fans out
   * the events of one claim in one transaction (jobs/worker.ts), most of them of one type under load.
   */
  const subscribedIn = new WeakMap<Executor, Map<string, Promise<{ id: number }[]>>>()
  function subscribed(exec: Executor, type: string) {
    if (exec === db) return q.subscribedWebhookIds(exec, type)
    let byType = subscribedIn.get(exec)
    if (!byType) subscribedIn.set(exec, (byType = new Map()))
    let ids = byType.get(type)
    if (!ids) byType.set(type, (ids = q.subscribedWebhookIds(exec, type)))
    return ids
  }

  /** The event bus subscriber: one delivery (and job) per active webhook subscribed to the event. */
  async function fanOut(event: DomainEvent, exec: Executor) {
    const targets = await subscribed(exec, event.type)
    if (!targets.length) return
    const body = JSON.stringify({ id: event.id, type: event.type, created_at: event.created_at, data: event.data })
    const created = await q.insertDeliveries(exec, targets, { eventId: event.id, eventType: event.type, body })
    await enqueue(
      exec,
      created.map((d) => deliveryJob(d.id, Date.parse(event.created_at))),
    )
  }

  const handler: JobHandler = {
    backoff: (attempts) => Math.min(retryBaseMs * 2 ** (attempts - 1), MAX_BACKOFF_MS),
    async run(job: ClaimedJob) {
      const { delivery_id } = job.payload as { delivery_id: number }
      const row = await q.findDeliveryWithWebhook(db, delivery_id)
      if (!row) throw new PermanentJobError('the delivery or its webhook was deleted')
      if (row.d.status === 'succeeded') return
      if (!row.w.isActive) throw new PermanentJobError('the webhook is disabled')
      const t = Math.floor(Date.now() / 1000)
      let code: number | undefined
      let error: string | undefined
      try {
        code = await post(
          row.w.url,
          row.d.body,
          {
            'user-agent': 'Talangraga-Webhooks/1',
            'talangraga-event': row.d.eventType,
            'talangraga-delivery': String(row.d.id),
            'talangraga-signature': signature(box.decrypt(row.w.secretCiphertext), row.d.body, t),
          },
          allowPrivate,
        )
        if (code < 200 || code >= 300) error = `HTTP ${code}`
      } catch (err) {
        error = (err as Error).message
      }
      const next = error ? new Date(Date.now() + (handler.backoff?.(job.attempts) ?? retryBaseMs)) : null
      await q.recordAttempt(db, delivery_id, { code, error, nextAttemptAt: next })
      if (error) throw new Error(error)
    },
    async onGiveUp(job, error, exec) {
      const { delivery_id } = job.payload as { delivery_id: number }
      await q.markDeliveryFailed(exec, delivery_id, error)
    },
  }

  return {
    fanOut,
    handler,

    async create(actorId: number, input: { url: string; events: string[]; description?: string | undefined }) {
      await checkUrl(input.url)
      const secret = newSecret()
      const row = await db.transaction(async (tx) => {
        const created = await q.insertWebhook(tx, {
          url: input.url,
          events: [...new Set(input.events)],
          description: input.description ?? null,
          secretCiphertext: box.encrypt(secret),
          createdBy: actorId,
        })
        await recordAudit(tx, { actorId, action: 'webhook.create', entity: 'webhook', entityId: created.id, details: toJson(created) })
        return created
      })
      // The only time the secret is shown.
      return { ...toJson(row), secret }
    },

    async list() {
      return (await q.listWebhooks(db)).map(toJson)
    },

    async get(id: number) {
      return toJson(await find(id))
    },

    async update(
      actorId: number,
      id: number,
      input: {
        url?: string | undefined
        events?: string[] | undefined
        description?: string | null | undefined
        is_active?: boolean | undefined
      },
    ) {
      const before = await find(id)
      if (input.url !== undefined) await checkUrl(input.url)
      return db.transaction(async (tx) => {
        const row = await q.updateWebhook(tx, id, {
          ...(input.url !== undefined ? { url: input.url } : {}),
          ...(input.events !== undefined ? { events: [...new Set(input.events)] } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.is_active !== undefined ? { isActive: input.is_active } : {}),
        })
        if (!row) throw notFound('Webhook')
        await recordAudit(tx, {
          actorId,
          action: 'webhook.update',
          entity: 'webhook',
          entityId: id,
          details: { before: toJson(before), after: toJson(row) },
        })
        return toJson(row)
      })
    },

    async remove(actorId: number, id: number) {
      const before = await find(id)
      await db.transaction(async (tx) => {
        await q.deleteWebhook(tx, id)
        await recordAudit(tx, { actorId, action: 'webhook.delete', entity: 'webhook', entityId: id, details: toJson(before) })
      })
    },

    async deliveries(id: number, page: number, perPage: number) {
      await find(id)
      const { list, total } = await q.listDeliveries(db, id, perPage, (page - 1) * perPage)
      return { data: list.map(deliveryJson), meta: { page, per_page: perPage, total } }
    },

    /** Deliver again now (same event id and body), with a fresh 24-hour retry window. */
    async retry(id: number, deliveryId: number) {
      const row = await db.transaction(async (tx) => {
        const d = await q.rescheduleDelivery(tx, id, deliveryId)
        if (!d) throw notFound('Delivery')
        await enqueue(tx, [deliveryJob(d.id)])
        return d
      })
      kick()
      return deliveryJson(row)
    },
  }
}
