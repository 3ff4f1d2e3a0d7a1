import { createServer } from 'node:net'
import type { PortClaim } from './plan.js'

/** Why a port cannot be used, or null when it is free. */
function probe(claim: PortClaim): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'EADDRINUSE' ? 'is already in use' : error.code === 'EACCES' ? 'needs privileges' : `cannot be opened (${error.code})`)
    })
    server.listen({ port: claim.port, host: claim.host, exclusive: true }, () => server.close(() => resolve(null)))
  })
}

export class PortsUnavailableError extends Error {
  readonly code = 'ERR_PORTS_UNAVAILABLE'
  constructor(readonly problems: string[]) {
    super(problems.join('\n'))
    this.name = 'PortsUnavailableError'
  }
}

/**
 * Checks every port the demo needs before anything starts, and names each one that cannot be
 * used, what wanted it and the variable that moves it.
 */
export async function checkPorts(claims: PortClaim[]): Promise<void> {
  const problems: string[] = []
  const seen = new Map<number, PortClaim>()
  for (const claim of claims) {
    const earlier = seen.get(claim.port)
    if (earlier !== undefined) {
      problems.push(`port ${claim.port} is wanted twice: by ${earlier.what} (${earlier.variable}) and by ${claim.what} (${claim.variable}); set one of them to another port`)
      continue
    }
    seen.set(claim.port, claim)
    const why = await probe(claim)
    if (why !== null) {
      problems.push(`port ${claim.port} (${claim.what}) ${why}: stop what uses it, or choose another with ${claim.variable}=<port> pnpm demo`)
    }
  }
  if (problems.length > 0) throw new PortsUnavailableError(problems)
}
