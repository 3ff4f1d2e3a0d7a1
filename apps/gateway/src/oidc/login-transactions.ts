import { createHash, randomBytes } from 'node:crypto'
import type { Store } from '@gatehouse/store'
import type { MasterKeyCipher } from '@gatehouse/tokens'
import type { Clock } from '../clock.js'

/** A login in flight lasts this long: enough to type a password at the IdP, not to be kept. */
export const TRANSACTION_TTL_MS = 10 * 60_000

export interface TransactionSecrets {
  codeVerifier: string
  nonce: string
  returnTo: string
}

export interface TakenTransaction extends TransactionSecrets {
  provider: string
  browserHash: string
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** The browser-binding cookie: a random value whose hash the transaction keeps. */
export function bindingCookie(secure: boolean) {
  const name = secure ? '__Host-gatehouse-oidc' : 'gatehouse-oidc'
  const attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
  return {
    name,
    newValue: () => randomBytes(32).toString('base64url'),
    /** Only a value this gateway could have made is reused. */
    isValid: (value: string | undefined): value is string => value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value),
    serialize: (value: string) => `${name}=${value}; Max-Age=${TRANSACTION_TTL_MS / 1000}; ${attributes}`,
    hash: sha256,
  }
}

export function createLoginTransactions(store: Store, cipher: MasterKeyCipher, clock: Clock) {
  return {
    async create(state: string, provider: string, browserValue: string, secrets: TransactionSecrets): Promise<void> {
      const id = sha256(state)
      const now = clock.now()
      await store.createOidcTransaction({
        id,
        provider,
        browserHash: sha256(browserValue),
        dataEnc: cipher.encrypt(JSON.stringify(secrets), `oidc-transaction:${id}`),
        createdAt: now,
        expiresAt: now + TRANSACTION_TTL_MS,
      })
    },
    /** One-time: a second take of the same state (a replay) finds nothing. */
    async take(state: string): Promise<TakenTransaction | null> {
      const id = sha256(state)
      const row = await store.takeOidcTransaction(id, clock.now())
      if (row === null) return null
      const secrets = JSON.parse(cipher.decrypt(row.dataEnc, `oidc-transaction:${id}`)) as TransactionSecrets
      return { ...secrets, provider: row.provider, browserHash: row.browserHash }
    },
  }
}

export type LoginTransactions = ReturnType<typeof createLoginTransactions>
