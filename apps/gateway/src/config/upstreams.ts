import { ConfigError } from '../errors.js'

export interface Upstream {
  name: string
  /** Base URL without a trailing slash. */
  url: string
}

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/

/** `name=url,name=url`; `/api/<name>/*` goes to `url/*`. */
export function parseUpstreams(value: string, variable = 'GATEHOUSE_UPSTREAMS'): Upstream[] {
  const entries = value.split(',').map((p) => p.trim()).filter((p) => p.length > 0)
  const seen = new Set<string>()
  return entries.map((entry) => {
    const eq = entry.indexOf('=')
    const name = eq === -1 ? '' : entry.slice(0, eq).trim()
    const raw = eq === -1 ? '' : entry.slice(eq + 1).trim()
    if (!NAME.test(name)) throw new ConfigError(variable, `"${entry}": the name must be lower-case letters, digits and dashes`)
    if (seen.has(name)) throw new ConfigError(variable, `"${name}" appears twice`)
    seen.add(name)
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new ConfigError(variable, `"${name}": "${raw}" is not a URL`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(variable, `"${name}": only http and https upstreams`)
    if (url.search || url.hash || url.username || url.password) {
      throw new ConfigError(variable, `"${name}": the URL must have no query, fragment or credentials`)
    }
    return { name, url: url.href.replace(/\/+$/, '') }
  })
}
