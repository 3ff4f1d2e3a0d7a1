import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { AUDIENCE, ISSUER, jwksOf, makeKey, mintLikeGateway, T0 } from './helpers.js'

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)))
let consumerDir: string

beforeAll(() => {
  execFileSync('pnpm', ['run', 'build'], { cwd: packageDir, stdio: 'pipe' })
  // A bare consumer: no workspace, no "source" condition, only the exports map.
  consumerDir = mkdtempSync(join(tmpdir(), 'gatehouse-verify-consumer-'))
  mkdirSync(join(consumerDir, 'node_modules', '@gatehouse'), { recursive: true })
  symlinkSync(packageDir, join(consumerDir, 'node_modules', '@gatehouse', 'verify'), 'dir')
}, 120_000)

afterAll(() => {
  if (consumerDir !== undefined) rmSync(consumerDir, { recursive: true, force: true })
})

describe('built package', () => {
  test('emits JS and declarations for both entry points', () => {
    for (const file of ['index.js', 'index.d.ts', 'hono.js', 'hono.d.ts']) {
      expect(existsSync(join(packageDir, 'dist', file)), file).toBe(true)
    }
  })

  test('is importable by plain node through its exports map and verifies a real token', async () => {
    const key = await makeKey('EdDSA', 'ed-1')
    const token = await mintLikeGateway(key)
    const script = `
      const { createVerifier, GatehouseTokenError, TOKEN_ERROR_CODES } = await import('@gatehouse/verify')
      const { gatehouseAuth } = await import('@gatehouse/verify/hono')
      const verifier = createVerifier({
        issuer: process.env.ISSUER, audience: process.env.AUDIENCE,
        jwks: JSON.parse(process.env.JWKS), now: () => new Date(Number(process.env.NOW)),
      })
      const claims = await verifier.verify(process.env.TOKEN)
      const refusal = await verifier.verify('x.y.z').catch((e) => e)
      console.log(JSON.stringify({
        sub: claims.sub,
        refused: refusal instanceof GatehouseTokenError ? refusal.code : String(refusal),
        codes: Object.keys(TOKEN_ERROR_CODES).length,
        middleware: typeof gatehouseAuth({ verifier }),
      }))
    `
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: consumerDir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        ISSUER,
        AUDIENCE,
        JWKS: JSON.stringify(jwksOf(key)),
        NOW: String(T0.getTime()),
        TOKEN: token,
      },
    })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ sub: 'user-42', refused: 'ERR_TOKEN_MALFORMED', codes: 21, middleware: 'function' })
  })
})
