import type { JWK } from 'jose'
import type { SigningKeyRecord, SigningKeyStore } from '@gatehouse/store'
import { TokenError } from './errors.js'
import { generateSigningKey, importSigningKey, isSigningAlg, publicJwk, type SigningAlg, type SigningKey } from './key-material.js'
import type { MasterKeyCipher } from './master-key.js'
import type { ActionOrigin, Clock, TokenAudit } from './ports.js'

export interface KeyManagerOptions {
  store: SigningKeyStore
  clock: Clock
  cipher: MasterKeyCipher
  /** The algorithm of keys made from now on (GATEHOUSE_SIGNING_ALG). */
  alg: SigningAlg
  /** GATEHOUSE_ACCESS_TTL: how long a token signed by a retired key may still be in use. */
  accessTtlS: number
  /**
   * How long this process trusts what it read from the store. A rotation by another gateway or
   * the CLI reaches this one within this time; `refresh()` makes it immediate. Default 10 s.
   */
  refreshIntervalMs?: number
  /** Clock skew a verifier may allow on `exp` (@gatehouse/verify allows at most 60 s). Default 60 s. */
  clockSkewS?: number
  /**
   * After a normal rotation the new key is published at once but signs only this much later, so
   * that a service which fetched the JWKS just before the rotation may fetch it again when it first
   * meets the new kid (@gatehouse/verify refetches at most once per 30 s cooldown). An emergency
   * rotation signs with the new key at once. Default 40 s.
   */
  activationDelayMs?: number
  audit?: TokenAudit
}

export interface RotationResult {
  kid: string
  alg: SigningAlg
  emergency: boolean
  /** The key(s) that stopped signing. */
  retired: string[]
  /** When the new key signs (ms): at once after an emergency, after the activation delay otherwise. */
  signsFrom: number
  /** Keys no longer published in the JWKS because of this rotation (every older one in an emergency). */
  dropped: string[]
}

/** Where a published key stands at one instant. */
export type KeyStateName = 'next' | 'signing' | 'retiring'

export interface PublishedKey {
  kid: string
  alg: string
  /** Published from this time (ms). */
  createdAt: number
  state: KeyStateName
  /** When it signs or signed from (ms); for `next`, when it will. */
  signsFrom: number
  /** When a newer key took over signing (ms), or null. */
  signsUntil: number | null
  /** When it leaves the JWKS (ms), or null while it is the newest. */
  publishedUntil: number | null
}

export interface KeyManager {
  /**
   * Start-up: makes the first key if the store has none, and proves GATEHOUSE_MASTER_KEY opens the
   * current one (ERR_MASTER_KEY_MISMATCH otherwise). A current key of another alg than configured
   * is rotated out, normally, so changing GATEHOUSE_SIGNING_ALG takes effect on restart.
   */
  init(): Promise<{ kid: string; alg: SigningAlg; created: boolean; rotated: boolean }>
  /** The key that signs now; re-read from the store at most every refresh interval. */
  signingKey(): Promise<SigningKey>
  /** Public parts of every key still published at the clock's now. */
  jwks(): Promise<{ keys: JWK[] }>
  /**
   * A new key, published now; it signs after the activation delay (older keys sign until then), or
   * at once with `emergency`, which also unpublishes every older key.
   */
  rotate(options?: { emergency?: boolean; origin?: ActionOrigin }): Promise<RotationResult>
  /** Every published key, newest first, with its state and times. */
  list(): Promise<PublishedKey[]>
  /** Forgets what was read: the next call reads the store again. */
  refresh(): void
  /** How long a rotated-out key stays published after its retirement. */
  readonly publishWindowMs: number
}

/**
 * The key that signs at `now`: the newest published key that has been published for the
 * activation delay. A key with no older key still published beside it (the very first key, or
 * the one an emergency rotation left alone) signs at once.
 */
export function signingRecord(published: SigningKeyRecord[], now: number, activationDelayMs: number): SigningKeyRecord | undefined {
  const newestFirst = [...published].sort((a, b) => b.createdAt - a.createdAt)
  return newestFirst.find((k, i) => k.createdAt <= now - activationDelayMs || i === newestFirst.length - 1)
}

interface KeyState {
  loadedAt: number
  published: SigningKeyRecord[]
  current: SigningKey | null
}

export function createKeyManager(options: KeyManagerOptions): KeyManager {
  const { store, clock, cipher, alg, audit } = options
  if (!isSigningAlg(alg)) throw new TypeError(`unsupported signing alg "${String(alg)}"`)
  const refreshIntervalMs = options.refreshIntervalMs ?? 10_000
  const clockSkewS = options.clockSkewS ?? 60
  const activationDelayMs = options.activationDelayMs ?? 40_000
  // A retired key signs on through the activation delay, and a process may go on using it until
  // its next re-read; each such token lives accessTtl, and a verifier may accept it clockSkew past
  // its exp. The key must stay published until all of them have expired.
  const publishWindowMs = activationDelayMs + (options.accessTtlS + clockSkewS) * 1000 + refreshIntervalMs

  let state: KeyState | null = null
  let loading: Promise<KeyState> | null = null
  // Bumped by refresh(): a read that started before it must not become the state after it.
  let version = 0

  async function load(): Promise<KeyState> {
    const now = clock.now()
    const published = await store.listPublishedSigningKeys(now)
    const record = signingRecord(published, now, activationDelayMs)
    // Decrypt only when the current key changed: re-reads are one query and nothing else.
    const current =
      record === undefined ? null : state?.current?.kid === record.kid ? state.current : await importSigningKey(record, cipher)
    return { loadedAt: now, published, current }
  }

  function fresh(): Promise<KeyState> {
    const now = clock.now()
    if (state !== null && now >= state.loadedAt && now - state.loadedAt < refreshIntervalMs) return Promise.resolve(state)
    // One re-read at a time, however many requests find the state stale together.
    if (loading === null) {
      const started = version
      loading = load()
        .then((next) => {
          if (started === version) state = next
          return next
        })
        .finally(() => {
          loading = null
        })
    }
    return loading
  }

  function refresh(): void {
    version++
    state = null
  }

  /** A read that certainly starts after this call (after a rotation's write, say). */
  async function reload(): Promise<KeyState> {
    refresh()
    if (loading !== null) await loading.catch(() => undefined)
    return fresh()
  }

  async function rotate({ emergency = false, origin }: { emergency?: boolean; origin?: ActionOrigin } = {}): Promise<RotationResult> {
    const now = clock.now()
    // Prove the master key first: a key encrypted under the wrong one could be opened by no
    // gateway, and this very rotation would have made it the only one that signs.
    const before = await store.listPublishedSigningKeys(now)
    const current = before.find((k) => k.retiredAt === null)
    if (current !== undefined) await importSigningKey(current, cipher)
    const { record } = await generateSigningKey(alg, cipher, now)
    const retired = await store.rotateSigningKey(record, { at: now, publishUntil: emergency ? now : now + publishWindowMs })
    await reload()
    await audit?.('key.rotated', {
      userId: origin?.userId ?? null,
      clientIp: origin?.clientIp ?? null,
      userAgent: origin?.userAgent ?? null,
      details: { kid: record.kid, alg, emergency, retired, ...(origin ? { by: origin.actor } : {}) },
    })
    const dropped = emergency ? before.map((k) => k.kid) : []
    return { kid: record.kid, alg, emergency, retired, signsFrom: emergency ? now : now + activationDelayMs, dropped }
  }

  return {
    publishWindowMs,
    refresh,

    async init() {
      let loaded = await reload()
      let created = false
      if (loaded.current === null) {
        const { record } = await generateSigningKey(alg, cipher, clock.now())
        // Several gateways may start on an empty store together; one key wins, all use it.
        created = await store.addFirstSigningKey(record)
        loaded = await reload()
      }
      if (loaded.current === null) throw new TokenError('ERR_NO_SIGNING_KEY', 'no current signing key in the store')
      // The newest key, not the one signing: during an activation delay those differ.
      const newest = loaded.published.find((k) => k.retiredAt === null)
      if ((newest?.alg ?? loaded.current.alg) !== alg) {
        const rotation = await rotate({ origin: { actor: 'gateway:signing-alg-changed' } })
        return { kid: rotation.kid, alg, created, rotated: true }
      }
      return { kid: loaded.current.kid, alg: loaded.current.alg, created, rotated: false }
    },

    async signingKey() {
      const { current } = await fresh()
      if (current === null) throw new TokenError('ERR_NO_SIGNING_KEY', 'no current signing key in the store')
      return current
    },

    async jwks() {
      const { published } = await fresh()
      // Filtered again at this instant: a retired key leaves exactly when its window ends.
      const now = clock.now()
      return { keys: published.filter((k) => k.publishUntil === null || k.publishUntil > now).map(publicJwk) }
    },

    rotate,

    async list() {
      const now = clock.now()
      const published = (await store.listPublishedSigningKeys(now)).filter((k) => k.publishUntil === null || k.publishUntil > now)
      const signing = signingRecord(published, now, activationDelayMs)
      const newestFirst = [...published].sort((a, b) => b.createdAt - a.createdAt)
      const signingAt = newestFirst.findIndex((k) => k.kid === signing?.kid)
      return newestFirst.map((k, i): PublishedKey => {
        const newer = newestFirst[i - 1]
        const older = newestFirst[i + 1]
        // A key with an older one beside it signs after the delay; alone (first, or after an emergency) at once.
        const signsFrom = older === undefined ? k.createdAt : k.createdAt + activationDelayMs
        const state: KeyStateName = i === signingAt ? 'signing' : i < signingAt ? 'next' : 'retiring'
        return {
          kid: k.kid,
          alg: k.alg,
          createdAt: k.createdAt,
          state,
          signsFrom,
          signsUntil: newer === undefined ? null : newer.createdAt + activationDelayMs,
          publishedUntil: k.publishUntil,
        }
      })
    },
  }
}
