import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CONFIG_SCHEMA_PATH, configJsonSchemaText } from './config-schema.js'

// `pnpm config:schema`: regenerates the committed JSON Schema of the GATEHOUSE_CONFIG file.
const target = fileURLToPath(new URL(`../../../../${CONFIG_SCHEMA_PATH}`, import.meta.url))
writeFileSync(target, configJsonSchemaText())
process.stdout.write(`wrote ${CONFIG_SCHEMA_PATH}\n`)
