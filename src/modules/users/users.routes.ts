/**
 * /users/*: the admin's member management and each user's own profile. Handlers validate by
 * schema, call the service and wrap the answer; every rule lives in users.service.ts.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import fastJson from 'fast-json-stringify'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Static } from 'typebox'
import { sendJsonList } from '../../lib/json-list-stream.js'
import { errorResponses, IdParam, MessageOnly, ok, okList } from '../../lib/schemas.js'
import {
  toUserBrief,
  toUserJson,
  UserBrief,
  UserCreateBody,
  UserCreateForm,
  UserListQuery,
  UserListResponse,
  UserOut,
  UserResponse,
  type UserRow,
  UserUpdateBody,
  UserUpdateForm,
} from './users.schemas.js'

const tags = ['users']

/** Item serializers of the streamed (unpaginated, longer than one chunk) user list. */
const serializeUser = fastJson(UserOut) as (u: unknown) => string
const serializeBrief = fastJson(UserBrief) as (u: unknown) => string

const UPDATE_SUMMARY =
  'Update a user (admin: anyone; member: themself). Multipart or JSON; every field optional, blank fields ignored. ' +
  'Members may change their own fullname, username, email (both addresses are told), phone_number, domisili and image; ' +
  'user_type, is_active and savings_target only when equal to the stored value (the app sends every field), otherwise 403; ' +
  'a non-blank password is 403 for members (use /users/me/change-password).'

export default async function usersRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const service = app.services.users

  const updated = (user: UserRow) => ok(toUserJson(user, app.signer), 'User updated')

  app.get(
    '/users',
    {
      schema: {
        tags,
        summary:
          'Admin: users with filters q, user_type, is_active, paginated. Member: the directory of active members {id, fullname, username, image_profile_url}',
        querystring: UserListQuery,
        response: { 200: UserListResponse, ...errorResponses(401, 422) },
      },
    },
    async (request, reply) => {
      const { rows, total, full, page, perPage, rest } = await service.list(request.auth, request.query)
      const toJson = (u: UserRow) => (full ? toUserJson(u, app.signer) : toUserBrief(u, app.signer))
      const meta = { page, per_page: perPage, total }
      if (rest) {
        const chunks = (async function* () {
          for await (const chunk of rest) yield chunk.map(toJson)
        })()
        return sendJsonList(reply, { meta, first: rows.map(toJson), rest: chunks }, full ? serializeUser : serializeBrief)
      }
      return okList(rows.map(toJson), meta)
    },
  )

  app.post(
    '/users',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Create a member or an admin (JSON or multipart, fields as register)',
        body: {
          content: {
            'application/json': { schema: UserCreateBody },
            'multipart/form-data': { schema: UserCreateForm },
          },
        },
        response: { 201: UserResponse, ...errorResponses(401, 403, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const body = request.body as Static<typeof UserCreateBody>
      const user = await service.create(request.auth, body, request.uploads?.image_profile)
      return reply.code(201).send(ok(toUserJson(user, app.signer), 'User created', 201))
    },
  )

  const updateSchema = {
    tags,
    summary: UPDATE_SUMMARY,
    body: {
      content: {
        'application/json': { schema: UserUpdateBody },
        'multipart/form-data': { schema: UserUpdateForm },
      },
    },
    response: { 200: UserResponse, ...errorResponses(401, 403, 404, 409, 413, 415, 422) },
  }
  const bodyOf = (request: FastifyRequest) => (request.body ?? {}) as Static<typeof UserUpdateBody>

  // Registered before /users/:id so the static path is documented first; the router prefers it anyway.
  app.put('/users/me/update', { schema: updateSchema }, async (request) =>
    updated(await service.update(request.auth, request.auth.userId, bodyOf(request), request.uploads?.image_profile)),
  )

  app.get(
    '/users/:id',
    {
      schema: {
        tags,
        summary: 'One user (admin: anyone; member: only themself)',
        params: IdParam,
        response: { 200: UserResponse, ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => ok(toUserJson(await service.get(request.auth, request.params.id), app.signer)),
  )

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/users/:id',
      schema: { ...updateSchema, params: IdParam },
      handler: async (request) => {
        const { id } = request.params as Static<typeof IdParam>
        return updated(await service.update(request.auth, id, bodyOf(request), request.uploads?.image_profile))
      },
    })
  }

  // DELETE /auth/delete/{id} is another path to the same operation (SPEC lists both).
  for (const [url, tag] of [
    ['/users/:id', 'users'],
    ['/auth/delete/:id', 'auth'],
  ] as const) {
    app.delete(
      url,
      {
        config: { auth: 'admin' },
        schema: {
          tags: [tag],
          summary: 'Delete a user (anonymised and deactivated when money records point at them)',
          params: IdParam,
          response: { 200: MessageOnly, ...errorResponses(401, 403, 404, 409, 422) },
        },
      },
      async (request) => {
        const outcome = await service.delete(request.auth, request.params.id)
        return ok(null, outcome === 'deleted' ? 'User deleted' : 'User deactivated and anonymised (money records kept)')
      },
    )
  }
}
