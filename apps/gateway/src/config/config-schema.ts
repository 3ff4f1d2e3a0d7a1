import { z } from 'zod'
import { ConfigFileSchema } from './routes-file.js'

/** Where the committed schema lives, relative to the repository root. */
export const CONFIG_SCHEMA_PATH = 'apps/gateway/config.schema.json'

/**
 * The JSON Schema (2020-12) of the GATEHOUSE_CONFIG file, generated from the validator the
 * gateway checks the file with at start-up, so editors complete and check what the gateway
 * accepts. Checks the schema cannot express (a path prefix's spelling, upstream names that must
 * exist) stay the gateway's.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ConfigFileSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'Gatehouse configuration (GATEHOUSE_CONFIG)',
    description: 'Route rules, and the sections the contract adds; checked by the gateway at start-up, which names the line of any error.',
  }
}

/** The file's text: stable key order and a final newline, so a diff shows real changes only. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`
}
