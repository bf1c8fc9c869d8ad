/**
 * The background worker every instance runs: polls the outbox, claims due jobs (SKIP LOCKED, with a
 * lease), runs their handler, and finishes, retries with backoff or gives up. Never on a request's
 * path: services only enqueue (in their own transaction) and `kick()` the worker after commit.
 *
 * Delivery is at least once: a worker dying between a handler's side effect (an e-mail sent, a
 * webhook delivered) and marking the job done leaves the job to be retried after its lease. Handlers
 * marked `transactional` write only to the database, in one transaction with the job's completion,
 * so their effect happens exactly once.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { FastifyBaseLogger } from 'fastify'
import type { Db, Executor } from '../../db/client.js'
import * as q from './jobs.queries.js'

export type { ClaimedJob } from './jobs.queries.js'

export interface JobHandler {
  /** Run in the same database transaction as marking the job done (database-only effects). */
  transactional?: boolean
  run(job: q.ClaimedJob, exec: Executor): Promise<void>
  /** Delay before the next attempt after `attempts` failed ones (ms). Default: 5 s doubling, at most 1 h. */
  backoff?(attempts: number): number
  /** After the last attempt failed (or a PermanentJobError): record the failure where users see it. */
  onGiveUp?(job: q.ClaimedJob, error: string, db: Db): Promise<void>
}

/** A failure that retrying cannot fix (the webhook was deleted, the user has no address). */
export class PermanentJobError extends Error {}

const defaultBackoff = (attempts: number) => Math.min(5000 * 2 ** (attempts - 1), 3600_000)
const BATCH = 10
const PURGE_EVERY_MS = 3600_000
/**
 * A kick starts a round this long after it, not at once, and the kicks in between join it: the
 * events of commits close together (one writer recording tens of deposits a second) are fanned out
 * by one claim in one transaction instead of one round each. Mail, webhooks and inbox items follow
 * their commit by that much more.
 */
const KICK_DELAY_MS = 20

export interface WorkerOptions {
  db: Db
  log: FastifyBaseLogger
  pollMs: number
  leaseSeconds: number
}

export function createWorker({ db, log, pollMs, leaseSeconds }: WorkerOptions) {
  const handlers = new Map<string, JobHandler>()
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let again = false
  let started = false
  let stopped = false
  let lastPurge = 0
  let kickTimer: NodeJS.Timeout | undefined

  /** Run one claimed job; whether other jobs are due afterwards (undefined: not known). */
  async function runOne(job: q.ClaimedJob): Promise<boolean | undefined> {
    const handler = handlers.get(job.kind)
    try {
      if (!handler) throw new PermanentJobError(`no handler for job kind ${job.kind}`)
      if (handler.transactional) {
        return await db.transaction(async (tx) => {
          await handler.run(job, tx)
          const finished = await q.finish(tx, job, id)
          // Lost the lease (this worker was too slow): roll back, the new holder does it once.
          if (!finished.done) throw new Error('lease lost')
          return finished.moreDue
        })
      }
      await handler.run(job, db)
      return (await q.finish(db, job, id)).moreDue
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 1000)
      const delay = (handler?.backoff ?? defaultBackoff)(job.attempts)
      const pastDeadline = job.give_up_at !== null && Date.now() + delay > job.give_up_at.getTime()
      if (err instanceof PermanentJobError || job.attempts >= job.max_attempts || pastDeadline) {
        log.warn({ job: job.id, kind: job.kind, attempts: job.attempts, err: message }, 'background job given up')
        await q.giveUp(db, job, id, message)
        await handler?.onGiveUp?.(job, message, db).catch((e) => log.error({ err: e }, 'job give-up hook failed'))
      } else {
        log.info({ job: job.id, kind: job.kind, attempts: job.attempts, retryInMs: delay, err: message }, 'background job will be retried')
        await q.retryLater(db, job, id, delay, message)
      }
      return undefined
    }
  }

  /**
   * The transactional jobs of one claim in one database transaction (and one statement marking
   * them done): under load the outbox's `event` jobs arrive faster than one at a time, and each
   * transaction of its own cost three round trips more. If any of them fails, or a lease was lost,
   * the whole batch rolls back (its effects are database-only) and each job runs again on its own
   * through runOne, with its own retry or give-up.
   */
  /** Whether other jobs are due afterwards; undefined when the batch rolled back. */
  async function runTogether(batch: q.ClaimedJob[]): Promise<boolean | undefined> {
    try {
      return await db.transaction(async (tx) => {
        for (const job of batch) await (handlers.get(job.kind) as JobHandler).run(job, tx)
        const finished = await q.finishAll(tx, batch, id)
        if (finished.done !== batch.length) throw new Error('lease lost')
        return finished.moreDue
      })
    } catch (err) {
      log.debug({ jobs: batch.map((j) => j.id), err: (err as Error).message }, 'batch of jobs rolled back; running them one by one')
      return undefined
    }
  }

  /**
   * Claim and run due jobs until none is left. A claim is made without reading first when jobs are
   * known to be due: after a kick (a commit that enqueued work), or when the last job finished
   * said so; otherwise (an idle poll, a failed job) a plain read comes first (`hasDue`), so that
   * an idle poll writes nothing. When the last job finished saw none due, the round ends there.
   */
  async function drainDue(kicked: boolean) {
    let due: boolean | undefined = kicked || undefined
    for (;;) {
      if (stopped || due === false) return
      if (due === undefined && !(await q.hasDue(db))) return
      const claimed = await q.claim(db, id, BATCH, leaseSeconds)
      if (!claimed.length) return
      const together = claimed.filter((j) => handlers.get(j.kind)?.transactional)
      let ran: Set<q.ClaimedJob> | undefined
      if (together.length > 1) {
        due = await runTogether(together)
        if (due !== undefined) ran = new Set(together)
      }
      for (const job of claimed) {
        if (stopped) return
        if (!ran?.has(job)) due = await runOne(job)
      }
    }
  }

  function schedule(ms: number) {
    if (stopped || !started) return
    clearTimeout(timer)
    timer = setTimeout(() => tick(), ms)
    timer.unref()
  }

  function tick(kicked = false) {
    if (running) {
      again = true
      return
    }
    running = (async () => {
      try {
        // `again`: kicked while this round ran.
        for (let round = 0; round === 0 || (again && !stopped); round++) {
          if (round > 0) kicked = true
          again = false
          await drainDue(kicked)
        }
        if (Date.now() - lastPurge > PURGE_EVERY_MS) {
          lastPurge = Date.now()
          await q.purgeFinished(db)
        }
      } catch (err) {
        // The database being down is retried at the next poll.
        log.warn({ err: (err as Error).message }, 'background worker poll failed')
      } finally {
        running = undefined
        schedule(pollMs)
      }
    })()
  }

  return {
    id,
    register(kind: string, handler: JobHandler) {
      handlers.set(kind, handler)
    },
    start() {
      if (started) return
      started = true
      schedule(0)
    },
    /** Look for work shortly (after a commit that enqueued some; KICK_DELAY_MS); cheap when there is none. */
    kick() {
      if (!started || stopped || kickTimer) return
      kickTimer = setTimeout(() => {
        kickTimer = undefined
        tick(true)
      }, KICK_DELAY_MS)
      kickTimer.unref()
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      clearTimeout(kickTimer)
      await running
    },
    /** Tests and tools: run every due job now, in this process. */
    async runDue() {
      await drainDue(false)
    },
  }
}

export type Worker = ReturnType<typeof createWorker>
