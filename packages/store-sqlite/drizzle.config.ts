import type { Config } from 'drizzle-kit'

export default {
  dialect: 'sqlite',
  schema: './packages/store-sqlite/src/schema.ts',
  out: './drizzle/sqlite',
} satisfies Config
