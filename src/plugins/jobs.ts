/**
 * The background worker as `app.jobs` and the event bus as `app.events`: modules register their job handlers on it while they load;
 * it starts polling when the server is ready (unless JOBS_ENABLED=false) and stops before close,
 * finishing the job in hand.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createEventBus, type EventBus } from '../modules/jobs/events.js'
import { createWorker, type Worker } from '../modules/jobs/worker.js'

declare module 'fastify' {
  interface FastifyInstance {
    jobs: Worker
    /** Subscribers to domain events published through the outbox (modules/jobs/events.ts). */
    events: EventBus
  }
}

async function jobs(app: FastifyInstance) {
  const worker = createWorker({
    db: app.database.db,
    log: app.log.child({ component: 'jobs' }),
    pollMs: app.config.jobs.pollMs,
    leaseSeconds: app.config.jobs.leaseSeconds,
  })
  app.decorate('jobs', worker)
  app.decorate('events', createEventBus(worker))
  if (app.config.jobs.enabled) app.addHook('onReady', async () => worker.start())
  app.addHook('preClose', async () => worker.stop())
}

export default fp(jobs, { name: 'jobs' })
