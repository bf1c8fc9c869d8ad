/**
 * Webhook security: the signing secret encrypted at rest, the signature header, and the SSRF guard.
 *
 * Secrets must be readable to sign deliveries, so they cannot be hashed: they are stored encrypted
 * with AES-256-GCM under a key derived (HKDF) from the server's file-signing secret. A database dump
 * alone does not reveal them; changing FILE_SECRET_KEY makes them undecryptable (re-create hooks).
 *
 * SSRF: a URL's host is resolved and refused when any address is private, loopback, link-local,
 * unspecified, multicast or reserved, unless WEBHOOK_ALLOW_PRIVATE=true. The same check runs again
 * inside the connection's DNS lookup at delivery time, so a name that later resolves elsewhere
 * (DNS rebinding) is refused too.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'
import { lookup } from 'node:dns/promises'
import type { LookupFunction } from 'node:net'
import { BlockList, isIP } from 'node:net'

export function secretBox(serverSecret: string) {
  const key = Buffer.from(hkdfSync('sha256', serverSecret, 'talangraga-webhooks', 'webhook-secret-v1', 32))
  return {
    encrypt(plain: string): string {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return `v1.${iv.toString('base64url')}.${data.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`
    },
    decrypt(stored: string): string {
      const [version, iv, data, tag] = stored.split('.')
      if (version !== 'v1' || !iv || !data || !tag) throw new Error('unknown webhook secret format')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8')
    },
  }
}

export const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`

/** `Talangraga-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`. */
export function signature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')
  return `t=${unixSeconds},v1=${mac}`
}

const blocked = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, bits, 'ipv4')
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6')
}

/** True for addresses a webhook may not reach (IPv4-mapped IPv6 is judged as its IPv4 address). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped?.[1]) return blocked.check(mapped[1], 'ipv4')
  const family = isIP(address)
  if (family === 4) return blocked.check(address, 'ipv4')
  if (family === 6) return blocked.check(address, 'ipv6')
  return true
}

/** Why a URL is refused, or undefined when it may be used. */
export async function urlProblem(raw: string, allowPrivate: boolean): Promise<string | undefined> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'must be an absolute http(s) URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL'
  if (url.username || url.password) return 'must not contain credentials'
  if (allowPrivate) return undefined
  const host = url.hostname.replace(/^\[|\]$/g, '')
  let addresses: string[]
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address)
  } catch {
    return 'host name does not resolve'
  }
  if (!addresses.length || addresses.some(isPrivateAddress)) {
    return 'resolves to a private, loopback or link-local address (set WEBHOOK_ALLOW_PRIVATE=true to allow)'
  }
  return undefined
}

/** The DNS lookup for delivery connections: the same refusal at connect time. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { all: true, verbatim: true, family: (options as { family?: number }).family ?? 0 })
      .then((addresses) => {
        const bad = addresses.find((a) => isPrivateAddress(a.address))
        if (!allowPrivate && (bad || !addresses.length)) {
          callback(new Error(`refused: ${hostname} resolves to a private address`), '', 4)
          return
        }
        if ((options as { all?: boolean }).all) callback(null, addresses as never)
        else callback(null, addresses[0]?.address ?? '', addresses[0]?.family ?? 4)
      })
      .catch((err: NodeJS.ErrnoException) => callback(err, '', 4))
  }
}
