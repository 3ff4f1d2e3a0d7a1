import { generateKeyPairSync, sign } from 'node:crypto'

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

function parts(token: string): { header: Record<string, unknown>; claims: Record<string, unknown>; signature: string } {
  const [h, p, s] = token.split('.') as [string, string, string]
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), claims: JSON.parse(Buffer.from(p, 'base64url').toString()), signature: s }
}

/** A real token with its claims changed and its signature kept: what a tamperer can do. */
export function tamperedToken(real: string, change: Record<string, unknown>): string {
  const { header, claims, signature } = parts(real)
  return `${b64(header)}.${b64({ ...claims, ...change })}.${signature}`
}

/** A well-formed token signed with a key of the forger's own, under the gateway's kid. */
export function selfSignedToken(real: string, change: Record<string, unknown> = {}): string {
  const { header, claims } = parts(real)
  const { privateKey } = generateKeyPairSync('ed25519')
  const input = `${b64({ ...header, alg: 'EdDSA' })}.${b64({ ...claims, ...change })}`
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`
}

/** The same claims with no signature at all. */
export function unsignedToken(real: string): string {
  const { header, claims } = parts(real)
  return `${b64({ ...header, alg: 'none' })}.${b64(claims)}.`
}
