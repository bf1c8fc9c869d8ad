/**
 * Process entry: configuration, build the app, listen, shut down gracefully.
 * A configuration error stops the process with one clear line and exit code 1.
 * `--cluster N` (or WEB_CONCURRENCY=N) runs N workers with node:cluster (src/ops/cluster.ts);
 * SKIP_MIGRATIONS=1 skips migrations already applied (container entrypoint).
 */
import { inspect } from 'node:util'
import { buildApp } from './app.js'
import { loadConfig, loadDotEnv } from './config.js'
import { ensureBootstrapAdmin } from './modules/users/bootstrap-admin.js'
import { warmPasswordHasher } from './modules/users/passwords.js'
import { assertClusterable, clusterSize, isClusterWorker, runPrimary } from './ops/cluster.js'
import { describeStartupError, type StartupStage } from './startup-errors.js'

/** Stop with one line naming what to fix (startup-errors.ts). */
function fail(err: unknown, stage: StartupStage, config?: ReturnType<typeof loadConfig>): never {
  console.error(describeStartupError(err, stage, config))
  process.exit(1)
}

async function main() {
  loadDotEnv()
  let config: ReturnType<typeof loadConfig>
  let workers = 1
  try {
    config = loadConfig()
    if (!isClusterWorker()) {
      workers = clusterSize(process.argv.slice(2))
      assertClusterable(config, workers)
    }
  } catch (err) {
    fail(err, 'config')
  }

  const skipMigrations = process.env.SKIP_MIGRATIONS === '1'
  if (workers > 1) return runPrimary(config, workers, { skipMigrations })

  // A cluster worker's primary has already migrated and created the bootstrap admin.
  const app = await buildApp(config, { skipMigrations: skipMigrations || isClusterWorker() }).catch((err) => fail(err, 'database', config))
  if (!isClusterWorker()) await ensureBootstrapAdmin(app).catch((err) => fail(err, 'admin', config))
  await warmPasswordHasher()

  let closing = false
  const shutdown = (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down: finishing in-flight requests')
    const force = setTimeout(() => {
      app.log.error('graceful shutdown timed out; exiting')
      process.exit(1)
    }, 15_000)
    force.unref()
    app
      .close()
      .then(() => app.mailer.flush())
      .then(() => process.exit(0))
      .catch((err) => {
        app.log.error({ err }, 'error during shutdown')
        process.exit(1)
      })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))

  await app.listen({ host: config.host, port: config.port }).catch((err) => fail(err, 'listen', config))
  app.log.info(
    { database: app.database.kind, redis: config.redisUrl ? 'configured' : 'none', docs: `${config.appUrl}/docs` },
    'Talangraga Umroh API ready',
  )
}

main().catch((err) => {
  console.error(`Failed to start: ${err instanceof Error ? err.message : inspect(err, { depth: 2 })}`)
  process.exit(1)
})
