import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeStoreConformance } from '@gatehouse/store/conformance'
import { createSqliteStore } from '../src/index.js'

// A real file (WAL needs one), fresh per test.
describeStoreConformance('SQLite file', async () =>
  createSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'gh-store-')), 'test.db') }),
)
