/**
 * GET /files/<key>?exp=&sig=: the only way a stored upload leaves the server. The signature is the
 * capability (minted by app.signer in responses that the caller was authorised to see), so the
 * route is public; it costs one primary-key query and streams the object.
 *
 * Everything about the response is decided by the server (SECURITY R38): the content type comes
 * from the `files` row (set from the sniffed bytes), the filename is made from the key, PDFs are
 * downloads, and `nosniff` + a sandboxing CSP make sure nothing inside a file can run in a browser.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { notFound, refused } from '../../lib/errors.js'
import { isValidKey } from '../../lib/file-keys.js'
import { errorResponses, Type } from '../../lib/schemas.js'
import { findServableFile } from './files.queries.js'

const FileQuery = Type.Object({
  // Text on purpose: a malformed capability is a 403 like any other bad one, not a 422.
  exp: Type.Optional(Type.String({ maxLength: 20, description: 'Expiry, unix seconds' })),
  sig: Type.Optional(Type.String({ maxLength: 128, description: 'HMAC signature from the signed URL' })),
  thumb: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('0'), Type.Literal('true'), Type.Literal('false')])),
})

const Binary = { description: 'The file (JPEG, PNG, WebP or PDF; thumbnails are WebP)', type: 'string', format: 'binary' }

const DAY_SECONDS = 86_400

const invalidLink = () => refused('This file link is invalid or has expired')

/** A download name made from the key only: `receipt-1f2e3d4c.jpg`, never anything the client sent. */
export function downloadName(key: string, thumb: boolean): string {
  const base = key.split('/').pop() ?? 'file'
  const id = base.slice(0, 8)
  const ext = thumb ? 'webp' : base.split('.').pop()
  const kind = key.startsWith('profiles/') ? 'profile' : 'receipt'
  return `${kind}-${id}${thumb ? '-thumb' : ''}.${ext}`
}

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
      const { exp, sig, thumb } = request.query
      const expiry = exp !== undefined && /^\d{1,12}$/.test(exp) ? Number(exp) : Number.NaN
      if (!sig || !app.signer.verify(key, expiry, sig)) throw invalidLink()
      if (!isValidKey(key)) throw notFound('File')

      const row = await findServableFile(app.database.db, key)
      if (!row) throw notFound('File')
      const wantThumb = thumb === '1' || thumb === 'true'
      const objectKey = wantThumb ? row.thumbnailKey : key
      if (!objectKey) throw notFound('Thumbnail')
      const object = await app.storage.get(objectKey)
      if (!object) {
        request.log.warn({ key: objectKey }, 'file row without stored object')
        throw notFound('File')
      }

      const contentType = wantThumb ? 'image/webp' : row.contentType
      const disposition = contentType.startsWith('image/') ? 'inline' : 'attachment'
      // Links live a week, but a revocation should not sit in caches that long: at most a day.
      const maxAge = Math.min(DAY_SECONDS, Math.max(0, expiry - Math.floor(Date.now() / 1000)))
      return (
        reply
          .type(contentType)
          .header('Content-Length', object.size)
          .header('Content-Disposition', `${disposition}; filename="${downloadName(key, wantThumb)}"`)
          .header('X-Content-Type-Options', 'nosniff')
          .header('Content-Security-Policy', "default-src 'none'; sandbox")
          // The URL itself is the permission: a web dashboard on another origin may show the image.
          .header('Cross-Origin-Resource-Policy', 'cross-origin')
          .header('Cache-Control', `private, max-age=${maxAge}`)
          .send(object.stream)
      )
    },
  )
}
