import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { describe, expect, it } from 'vitest'
import { CONFIG_SCHEMA_PATH, configJsonSchemaText } from '../src/config/config-schema.js'
import { ConfigFileSchema } from '../src/config/routes-file.js'
import { REPO_ROOT } from './process.js'

const committed = readFileSync(`${REPO_ROOT}${CONFIG_SCHEMA_PATH}`, 'utf8')

describe('the JSON Schema of the GATEHOUSE_CONFIG file', () => {
  it('is the one the validator generates now (else run `pnpm config:schema` and commit it)', () => {
    expect(committed).toBe(configJsonSchemaText())
  })

  it('accepts and refuses what the gateway does', () => {
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(committed) as object)
    const samples: unknown[] = [
      { $schema: './config.schema.json', routes: [{ upstream: 'orders', pathPrefix: '/admin', roles: ['admin'] }] },
      { routes: [{ upstream: 'orders', methods: ['POST'], maxBodyBytes: 10, timeoutMs: 1000 }, { upstream: 'profile', anonymous: true }] },
      { routes: [{ upstream: 'orders', rolez: ['admin'] }] },
      { routes: [{ upstream: 'orders', methods: ['FETCH'] }] },
      { routes: [{ upstream: 'orders', timeoutMs: 0 }] },
      { routes: [{ pathPrefix: '/x' }] },
      { route: [] },
    ]
    for (const sample of samples) {
      expect(validate(sample), JSON.stringify(sample)).toBe(ConfigFileSchema.safeParse(sample).success)
    }
    expect(samples.filter((s) => validate(s)).length).toBe(2)
  })
})
