/**
 * GET /files/<key>?exp=&sig=: the only way a stored upload leaves the server. The signature is the
 * capability (minted by app.signer in responses that the caller was authorised to see), so the
 * route is public; it costs one primary-key query and streams the object (downloads.service.ts).
 *
 * Everything about the response is decided by the server (SECURITY R38): the content type comes
 * from the `files` row (set from the sniffed bytes), the filename is made from the key, PDFs are
 * downloads, and `nosniff` + a sandboxing CSP make sure nothing inside a file can run in a browser.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { errorResponses, Type } from '../../lib/schemas.js'

const FileQuery = Type.Object({
  // Text on purpose: a malformed capability is a 403 like any other bad one, not a 422.
  exp: Type.Optional(Type.String({ maxLength: 20, description: 'Expiry, unix seconds' })),
  sig: Type.Optional(Type.String({ maxLength: 128, description: 'HMAC signature from the signed URL' })),
  thumb: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('0'), Type.Literal('true'), Type.Literal('false')])),
})

const Binary = { description: 'The file (JPEG, PNG, WebP or PDF; thumbnails are WebP)', type: 'string', format: 'binary' }

export default async function filesRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.get(
    '/files/*',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['files'],
        summary: 'Download an uploaded file through its signed, expiring URL (?thumb=1 for the thumbnail)',
        querystring: FileQuery,
        response: {
          200: { content: { 'application/octet-stream': { schema: Binary } } },
          ...errorResponses(403, 404, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const key = (request.params as { '*': string })['*']
      const file = await app.services.downloads.open(key, request.query, request.log)
      return (
        reply
          .type(file.contentType)
          .header('Content-Length', file.size)
          .header('Content-Disposition', `${file.disposition}; filename="${file.filename}"`)
          .header('X-Content-Type-Options', 'nosniff')
          .header('Content-Security-Policy', "default-src 'none'; sandbox")
          // The URL itself is the permission: a web dashboard on another origin may show the image.
          .header('Cross-Origin-Resource-Policy', 'cross-origin')
          .header('Cache-Control', `private, max-age=${file.maxAge}`)
          .send(file.stream)
      )
    },
  )
}
