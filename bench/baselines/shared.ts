/**
 * The bare Fastify baseline shared by the pg and PGlite variants: one route, no plugins, doing the
 * same single primary-key query the API's hot path starts with (a user by id) and answering the
 * envelope. The ids rotate over the seeded members (from the URL), as the scenarios rotate users.
 */
import Fastify from 'fastify'

export type QueryOne = (id: number) => Promise<Record<string, unknown> | undefined>

export const USER_BY_ID = 'SELECT id, fullname, username, email, user_type FROM users WHERE id = $1'

export async function serveBaseline(queryOne: QueryOne, close: () => Promise<void>) {
  const app = Fastify({ logger: false })
  app.get<{ Params: { id: string } }>('/users/:id', async (request, reply) => {
    const row = await queryOne(Number(request.params.id))
    if (!row) return reply.code(404).send({ code: 404, message: 'Not found', data: null })
    return { code: 200, message: 'OK', data: row }
  })
  app.get('/health', async () => ({ ok: true }))
  app.addHook('onClose', close)
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
  console.log('ready')
  process.on('SIGTERM', () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
}
