import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { SQLITE_MIGRATIONS } from '../src/index.js'

/** The committed migration files, in the order drizzle applies them. */
export function migrationFiles(): string[] {
  return readdirSync(SQLITE_MIGRATIONS)
    .filter((f) => f.endsWith('.sql'))
    .sort()
}

/** Runs one migration file the way drizzle does: statement by statement. */
export function applyMigration(db: Database.Database, file: string): void {
  for (const statement of readFileSync(join(SQLITE_MIGRATIONS, file), 'utf8').split('--> statement-breakpoint')) {
    if (statement.trim() !== '') db.exec(statement)
  }
}
