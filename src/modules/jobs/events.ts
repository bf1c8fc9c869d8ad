/**
 * Domain events through the outbox. `publish()` writes one `event` job in the caller's transaction
 * (one row, whatever follows from it); the worker then fans it out, in one transaction with the
 * job's completion, to every subscriber: inbox notifications and mail jobs, webhook deliveries.
 * So an event is never lost with a dying process and never fanned out twice.
 */
import { randomUUID } from 'node:crypto'
import type { Executor } from '../../db/client.js'
import { enqueue } from './jobs.queries.js'
import type { Worker } from './worker.js'

/** Event types as webhooks and the inbox name them (SPEC §7). */
export const EVENT_TYPES = [
  'deposit.submitted',
  'deposit.status_changed',
  'reminder.due',
  'member.created',
  'member.target_reached',
] as const
export type EventType = (typeof EVENT_TYPES)[number]

export interface DomainEvent {
  /** Stable across retries: webhook receivers deduplicate by it. */
  id: string
  type: EventType
  created_at: string
  data: Record<string, unknown>
}

export async function publish(exec: Executor, type: EventType, data: Record<string, unknown>): Promise<DomainEvent> {
  const event: DomainEvent = { id: randomUUID(), type, created_at: new Date().toISOString(), data }
  await enqueue(exec, [{ kind: 'event', payload: event }])
  return event
}

/** Runs inside the fan-out transaction; may publish further events with `exec`. */
export type Subscriber = (event: DomainEvent, exec: Executor) => Promise<void>

export function createEventBus(worker: Worker) {
  const subscribers: Subscriber[] = []
  worker.register('event', {
    transactional: true,
    async run(job, exec) {
      const event = job.payload as DomainEvent
      for (const subscriber of subscribers) await subscriber(event, exec)
    },
  })
  return {
    subscribe(subscriber: Subscriber) {
      subscribers.push(subscriber)
    },
  }
}

export type EventBus = ReturnType<typeof createEventBus>
