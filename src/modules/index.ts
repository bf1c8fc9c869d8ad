/** Every module of the API, registered in this order by buildApp. One line per module. */
import type { FastifyPluginAsync } from 'fastify'
import authRoutes from './auth/auth.routes.js'
import filesRoutes from './files/files.routes.js'
import healthRoutes from './health/health.routes.js'

export const modules: FastifyPluginAsync[] = [healthRoutes, authRoutes, filesRoutes]
