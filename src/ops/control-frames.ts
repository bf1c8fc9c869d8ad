/**
 * Framing of the control channel (data-dir-owner.ts, control.ts): each frame is a type byte
 * (1 = JSON, 2 = raw bytes), a 4-byte big-endian length, then the payload. JSON frames carry
 * requests, progress and the final answer ({final: true, ok, result | error}); byte frames carry a
 * backup archive as it is produced, so neither side ever holds it whole.
 */
export type Frame = { kind: 'json'; value: unknown } | { kind: 'data'; bytes: Buffer }

const JSON_FRAME = 1
const DATA_FRAME = 2

function frame(type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head[0] = type
  head.writeUInt32BE(payload.length, 1)
  return Buffer.concat([head, payload])
}

export const jsonFrame = (value: unknown) => frame(JSON_FRAME, Buffer.from(JSON.stringify(value)))
export const dataFrame = (bytes: Buffer) => frame(DATA_FRAME, bytes)
export const encodeFrame = (f: Frame) => (f.kind === 'json' ? jsonFrame(f.value) : dataFrame(f.bytes))

/** The frames arriving on `source`; a frame longer than `maxFrame` bytes ends the stream with an error. */
export async function* decodeFrames(source: AsyncIterable<Buffer | string>, maxFrame = 4 * 1024 * 1024): AsyncGenerator<Frame> {
  let pending: Buffer[] = []
  let have = 0
  const take = (n: number): Buffer => {
    const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending)
    const out = all.subarray(0, n)
    const rest = all.subarray(n)
    pending = rest.length ? [rest] : []
    have = rest.length
    return out
  }
  let need: { type: number; length: number } | undefined
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    pending.push(buf)
    have += buf.length
    for (;;) {
      if (!need) {
        if (have < 5) break
        const head = take(5)
        need = { type: head[0] as number, length: head.readUInt32BE(1) }
        if (need.length > maxFrame || (need.type !== JSON_FRAME && need.type !== DATA_FRAME)) {
          throw new Error('control channel: malformed frame')
        }
      }
      if (have < need.length) break
      const payload = Buffer.from(take(need.length))
      const type = need.type
      need = undefined
      yield type === JSON_FRAME ? { kind: 'json', value: JSON.parse(payload.toString('utf8')) } : { kind: 'data', bytes: payload }
    }
  }
  if (need || have > 0) throw new Error('control channel closed in the middle of a frame')
}
