/** /settings: the organisation's name, address, contact and logo for documents and mail. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { Static } from 'typebox'
import { errorResponses, ok } from '../../lib/schemas.js'
import { SettingsForm, SettingsJson, SettingsResponse, toSettingsJson } from './settings.schemas.js'

const tags = ['settings']

export default async function settingsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const service = app.services.settings

  app.get(
    '/settings',
    {
      schema: {
        tags,
        summary: 'Organisation settings used on documents and mail (anyone signed in)',
        response: { 200: SettingsResponse, ...errorResponses(401, 429, 503) },
      },
    },
    async () => ok(toSettingsJson(await service.get(), app.signer)),
  )

  app.put(
    '/settings',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Change organisation settings (admin): JSON, or multipart with a `logo` image',
        body: {
          content: {
            'application/json': { schema: SettingsJson },
            'multipart/form-data': { schema: SettingsForm },
          },
        },
        response: { 200: SettingsResponse, ...errorResponses(401, 403, 413, 415, 422, 429, 503) },
      },
    },
    async (request) => {
      const body = (request.body ?? {}) as Static<typeof SettingsJson>
      const row = await service.update(request.auth, body, request.uploads?.logo)
      return ok(toSettingsJson(row, app.signer), 'Settings updated')
    },
  )
}
