/**
 * SQL of the outbox (`jobs`). The worker's statements (due? claim, finish) run on every job and are
 * named prepared statements (runNamed). Enqueueing takes the caller's executor, so a job commits or rolls
 * back with the change that caused it. Claiming uses FOR UPDATE SKIP LOCKED and a lease: two
 * workers never take the same job, and a job whose worker died is claimable again after the lease.
 */
import { type SQL, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client.js'
import { runNamed } from '../../db/prepared.js'
import { jobs } from '../../db/schema.js'
import type { EventType } from './events.js'

export interface NewJob {
  kind: string
  payload: unknown
  /** Not before this (default: now). */
  runAt?: Date
  maxAttempts?: number
  /** Never retried after this instant. */
  giveUpAt?: Date
}

export async function enqueue(exec: Executor, list: NewJob[]): Promise<void> {
  if (!list.length) return
  await exec.insert(jobs).values(
    list.map((j) => ({
      kind: j.kind,
      payload: j.payload,
      ...(j.runAt ? { runAt: j.runAt } : {}),
      ...(j.maxAttempts ? { maxAttempts: j.maxAttempts } : {}),
      ...(j.giveUpAt ? { giveUpAt: j.giveUpAt } : {}),
    })),
  )
}

/**
 * publish() (events.ts) for rows a statement is writing: `INSERT INTO jobs ... SELECT`, one `event`
 * job per row of `source` (a data-modifying CTE of the same statement, e.g. `ins`), whose `data` is
 * the jsonb expression `data` over that row. The payload is the DomainEvent publish() writes: a new
 * random id, `type`, `created_at` (now, as JSON text) and `data`. So a write and its events are one
 * round trip, and commit together.
 */
export function publishEachSql(type: EventType, source: SQL, data: SQL, orderBy: SQL): SQL {
  return sql`INSERT INTO ${jobs} (kind, payload)
    SELECT 'event', jsonb_build_object('id', gen_random_uuid(), 'type', ${type}::text, 'created_at', ${new Date().toISOString()}::text, 'data', ${data})
    FROM ${source} ORDER BY ${orderBy}`
}

export interface ClaimedJob {
  id: number
  kind: string
  payload: unknown
  /** 1 on the first run. */
  attempts: number
  max_attempts: number
  give_up_at: Date | null
  created_at: Date
}

const DUE = sql`finished_at IS NULL AND run_at <= now() AND (locked_until IS NULL OR locked_until < now())`

/** A plain read first, so an idle poll writes nothing (PGlite's session memo survives idle polls). */
export async function hasDue(exec: Executor): Promise<boolean> {
  const found = await runNamed<{ id: number }>(exec, 'jobs_has_due', sql`SELECT id FROM jobs WHERE ${DUE} LIMIT 1`)
  return found.length > 0
}

export async function claim(exec: Executor, worker: string, limit: number, leaseSeconds: number): Promise<ClaimedJob[]> {
  const claimed = await runNamed<ClaimedJob & { give_up_at: string | Date | null; created_at: string | Date }>(
    exec,
    'jobs_claim',
    sql`UPDATE jobs SET attempts = attempts + 1, locked_by = ${worker},
          locked_until = now() + make_interval(secs => ${leaseSeconds})
        WHERE id IN (SELECT id FROM jobs WHERE ${DUE} ORDER BY run_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING id, kind, payload, attempts, max_attempts, give_up_at, created_at`,
  )
  return claimed
    .map((j) => ({
      ...j,
      id: Number(j.id),
      give_up_at: j.give_up_at === null ? null : new Date(j.give_up_at),
      created_at: new Date(j.created_at),
    }))
    .sort((a, b) => a.id - b.id)
}

/**
 * What finishing jobs tells the worker: how many were still under its lease (and are now done), and
 * whether other jobs are due as of that statement, the jobs its own transaction enqueued included
 * (jobs under a live lease, such as the rest of the worker's claim, are not due). The worker reads
 * no further (hasDue) when there are none: later jobs come with a kick, or at the next poll.
 */
export interface Finished {
  done: number
  moreDue: boolean
}

const MORE_DUE = sql`EXISTS (SELECT 1 FROM jobs WHERE ${DUE})`

/** Mark done, only if this worker still holds this attempt's lease (done 0 = lost it to another worker). */
export async function finish(exec: Executor, job: ClaimedJob, worker: string): Promise<Finished> {
  return finishAll(exec, [job], worker)
}

/** `finish` for several jobs in one statement. */
export async function finishAll(exec: Executor, list: ClaimedJob[], worker: string): Promise<Finished> {
  const done = await runNamed<{ id: number; more_due: boolean }>(
    exec,
    'jobs_finish',
    sql`UPDATE jobs SET finished_at = now(), locked_until = NULL, last_error = NULL
        FROM unnest(${sql.param(list.map((j) => j.id))}::bigint[], ${sql.param(list.map((j) => j.attempts))}::int[]) AS mine(id, attempts)
        WHERE jobs.id = mine.id AND jobs.attempts = mine.attempts AND jobs.locked_by = ${worker} AND jobs.finished_at IS NULL
        RETURNING jobs.id, ${MORE_DUE} AS more_due`,
  )
  // No row: nothing was ours any more; whether others are due is then not known (say yes: look).
  return { done: done.length, moreDue: done.length === 0 || done.some((r) => r.more_due) }
}

export async function retryLater(exec: Executor, job: ClaimedJob, worker: string, delayMs: number, error: string) {
  await exec.execute(
    sql`UPDATE jobs SET run_at = now() + make_interval(secs => ${delayMs / 1000}), locked_until = NULL, locked_by = NULL,
          last_error = ${error}
        WHERE id = ${job.id} AND locked_by = ${worker} AND attempts = ${job.attempts}`,
  )
}

export async function giveUp(exec: Executor, job: ClaimedJob, worker: string, error: string) {
  await exec.execute(
    sql`UPDATE jobs SET finished_at = now(), failed = true, locked_until = NULL, last_error = ${error}
        WHERE id = ${job.id} AND locked_by = ${worker} AND attempts = ${job.attempts}`,
  )
}

/** Housekeeping: finished jobs are kept a week for diagnosis, then dropped. */
export async function purgeFinished(exec: Executor) {
  await exec.execute(sql`DELETE FROM jobs WHERE finished_at < now() - interval '7 days'`)
}
