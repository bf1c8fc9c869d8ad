/** SQL for webhooks and their deliveries. Every function takes an Executor. */
import { and, desc, eq, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client.js'
import { webhookDeliveries, webhooks } from '../../db/schema.js'

export type WebhookRow = typeof webhooks.$inferSelect
export type DeliveryRow = typeof webhookDeliveries.$inferSelect

export async function findWebhook(db: Executor, id: number) {
  const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id))
  return row
}

export async function listWebhooks(db: Executor) {
  return db.select().from(webhooks).orderBy(webhooks.id)
}

export async function insertWebhook(db: Executor, values: typeof webhooks.$inferInsert) {
  const [created] = await db.insert(webhooks).values(values).returning()
  if (!created) throw new Error('webhook insert returned no row')
  return created
}

export async function updateWebhook(db: Executor, id: number, values: Partial<typeof webhooks.$inferInsert>) {
  const [row] = await db
    .update(webhooks)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(webhooks.id, id))
    .returning()
  return row
}

export async function deleteWebhook(db: Executor, id: number) {
  await db.delete(webhooks).where(eq(webhooks.id, id))
}

/** The active webhooks subscribed to this event type (every event's fan-out: a named statement). */
export async function subscribedWebhookIds(db: Executor, eventType: string) {
  return db
    .select({ id: webhooks.id })
    .from(webhooks)
    .where(and(eq(webhooks.isActive, true), sql`${sql.placeholder('eventType')} = ANY(${webhooks.events})`))
    .prepare('webhooks_subscribed')
    .execute({ eventType })
}

/** One delivery of the event per webhook; a delivery of the same event to the same webhook is not made twice. */
export async function insertDeliveries(
  db: Executor,
  targets: { id: number }[],
  event: { eventId: string; eventType: string; body: string },
) {
  return db
    .insert(webhookDeliveries)
    .values(targets.map((t) => ({ webhookId: t.id, ...event })))
    .onConflictDoNothing()
    .returning({ id: webhookDeliveries.id })
}

export async function findDeliveryWithWebhook(db: Executor, deliveryId: number) {
  const [row] = await db
    .select({ d: webhookDeliveries, w: webhooks })
    .from(webhookDeliveries)
    .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
    .where(eq(webhookDeliveries.id, deliveryId))
  return row
}

/** The outcome of one attempt: succeeded without `error`, otherwise pending until `nextAttemptAt`. */
export async function recordAttempt(
  db: Executor,
  deliveryId: number,
  outcome: { code: number | undefined; error: string | undefined; nextAttemptAt: Date | null },
) {
  const { code, error } = outcome
  await db
    .update(webhookDeliveries)
    .set({
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      lastStatusCode: code ?? null,
      lastError: error ?? null,
      status: error ? 'pending' : 'succeeded',
      nextAttemptAt: outcome.nextAttemptAt,
      ...(error ? {} : { deliveredAt: sql`now()` }),
    })
    .where(eq(webhookDeliveries.id, deliveryId))
}

export async function markDeliveryFailed(db: Executor, deliveryId: number, error: string) {
  await db
    .update(webhookDeliveries)
    .set({ status: 'failed', nextAttemptAt: null, lastError: error })
    .where(and(eq(webhookDeliveries.id, deliveryId), sql`${webhookDeliveries.status} <> 'succeeded'`))
}

export async function listDeliveries(db: Executor, webhookId: number, limit: number, offset: number) {
  const list = await db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, webhookId))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit)
    .offset(offset)
  const [count] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, webhookId))
  return { list, total: Number(count?.n ?? 0) }
}

/** Make a delivery of this webhook due now (a manual retry). */
export async function rescheduleDelivery(db: Executor, webhookId: number, deliveryId: number) {
  const [d] = await db
    .update(webhookDeliveries)
    .set({ status: 'pending', nextAttemptAt: sql`now()` })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.webhookId, webhookId)))
    .returning()
  return d
}
