import type { Config } from 'drizzle-kit'

// Run from the repository root: `pnpm db:generate:pg`.
export default {
  dialect: 'postgresql',
  schema: './packages/store-postgres/src/schema.ts',
  out: './drizzle/postgres',
} satisfies Config
