import { request } from 'node:http'
import { gzipSync } from 'node:zlib'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { PublicProtocol } from 'paseto'
import { SecretKeyFromCryptoKey, SignFactory } from 'paseto/v4/public'
import { createVerifier, type GatehouseVerifier } from '@gatehouse/verify'
import { openSqlite } from '@gatehouse/store-sqlite'
import type { GatewayConfig } from '../../../gateway/src/config/config.js'
import { dbPath } from '../seed.js'
import { round } from '../stats.js'

export interface MassRevocationResults {
  sessions: number
  /** One UPDATE revoking them all; the feed's trigger writes one entry per session in it. */
  revokeSeconds: number
  /** The whole feed read as JSON pages from cursor 0. */
  json: { pages: number; bytes: number; gzipBytes: number; bytesPerEntry: number; seconds: number }
  /** A fresh @gatehouse/verify follower: from createVerifier to every entry held (event stream). */
  streamCatchUpSeconds: number
}

export interface VerifyCostResults {
  /** verify() calls per second, one process, awaited one after another. */
  jwtPerSecond: number
  /** The same with a revocation feed of `revokedInMemory` entries followed (no network on the path). */
  jwtWithFeedPerSecond: number
  pasetoPerSecond: number
  revokedInMemory: number
  feedToNoFeed: number
  pasetoToJwt: number
}

function getRaw(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`feed answered ${res.statusCode}`))))
      res.on('error', reject)
    })
      .on('error', reject)
      .end()
  })
}

/** Revokes `count` live sessions of the store in one statement, then reads the feed as a service would. */
export async function measureMassRevocation(config: GatewayConfig, gatewayUrl: string, count: number): Promise<MassRevocationResults> {
  const { client } = openSqlite(dbPath(config))
  const started = performance.now()
  try {
    client
      .prepare(
        "UPDATE sessions SET revoked_at = ?, revoked_reason = 'admin_revoked' WHERE id IN (SELECT id FROM sessions WHERE revoked_at IS NULL LIMIT ?)",
      )
      .run(Date.now(), count)
  } finally {
    client.close()
  }
  const revokeSeconds = (performance.now() - started) / 1000
  const feedUrl = `${gatewayUrl}/.well-known/gatehouse/revocations`

  let cursor = '0'
  let pages = 0
  let bytes = 0
  let gzipBytes = 0
  let entries = 0
  const jsonStarted = performance.now()
  for (;;) {
    const body = await getRaw(`${feedUrl}?after=${cursor}`)
    pages += 1
    bytes += body.length
    gzipBytes += gzipSync(body).length
    const page = JSON.parse(body.toString('utf8')) as { entries: unknown[]; cursor: string; more: boolean }
    entries += page.entries.length
    cursor = page.cursor
    if (!page.more) break
  }
  const jsonSeconds = (performance.now() - jsonStarted) / 1000

  const { verifier, ms } = await followUntil(feedUrl, entries)
  verifier.revocations?.close()
  return {
    sessions: entries,
    revokeSeconds: round(revokeSeconds, 3),
    json: { pages, bytes, gzipBytes, bytesPerEntry: round(bytes / Math.max(1, entries), 1), seconds: round(jsonSeconds, 3) },
    streamCatchUpSeconds: round(ms / 1000, 3),
  }
}

async function followUntil(feedUrl: string, entries: number, jwks = { keys: [] as object[] }) {
  const started = performance.now()
  const verifier = createVerifier({ issuer: 'http://bench', audience: 'bench', jwks, revocations: { url: feedUrl } })
  await verifier.revocations!.ready()
  while (verifier.revocations!.status().entries < entries) await new Promise((r) => setTimeout(r, 5))
  return { verifier, ms: performance.now() - started }
}

async function perSecond(verifier: GatehouseVerifier, token: string, seconds = 1): Promise<number> {
  let n = 0
  const started = performance.now()
  const end = started + seconds * 1000
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) await verifier.verify(token)
    n += 100
  }
  return Math.round(n / ((performance.now() - started) / 1000))
}

/** What a service pays per verify(): JWT, JWT while following a feed of many entries, PASETO. */
export async function measureVerifyCost(feedUrl: string, revokedInMemory: number): Promise<VerifyCostResults> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'EdDSA', use: 'sig' }
  const now = Math.floor(Date.now() / 1000)
  const claims = { iss: 'http://bench', aud: 'bench', sub: 'u', sid: 'live-session', roles: ['user'], client_id: 'gatehouse', jti: 'j' }
  const jwt = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'bench', typ: 'at+jwt' }).setIssuedAt(now).setExpirationTime(now + 300).sign(privateKey)
  const paseto = await new PublicProtocol(SignFactory).Sign(
    await SecretKeyFromCryptoKey(privateKey),
    { ...claims, iat: new Date(now * 1000).toISOString(), exp: new Date((now + 300) * 1000).toISOString() },
    { footer: new TextEncoder().encode('{"kid":"bench"}'), addIssuedAt: false },
  )
  const base = { issuer: 'http://bench', audience: 'bench', jwks: { keys: [jwk] } }
  const plain = createVerifier(base)
  const pasetoVerifier = createVerifier({ ...base, format: 'paseto' })
  const { verifier: following } = await followUntil(feedUrl, revokedInMemory, base.jwks)
  try {
    for (const v of [plain, following, pasetoVerifier]) await perSecond(v, v === pasetoVerifier ? paseto : jwt, 0.3)
    const jwtPerSecond = await perSecond(plain, jwt)
    const jwtWithFeedPerSecond = await perSecond(following, jwt)
    const pasetoPerSecond = await perSecond(pasetoVerifier, paseto)
    return {
      jwtPerSecond,
      jwtWithFeedPerSecond,
      pasetoPerSecond,
      revokedInMemory: following.revocations!.status().entries,
      feedToNoFeed: round(jwtWithFeedPerSecond / jwtPerSecond, 3),
      pasetoToJwt: round(pasetoPerSecond / jwtPerSecond, 3),
    }
  } finally {
    following.revocations?.close()
  }
}
