import { afterAll, describe } from 'vitest'
import { describeStoreConformance } from '@gatehouse/store/conformance'
import { emptyDatabase } from './databases.js'
import { postgresForTests } from './pg-cluster.js'

const pg = await postgresForTests('store-postgres conformance')

describe.skipIf(pg.cluster === undefined)(`Postgres store${pg.skipReason ? ` (skipped: ${pg.skipReason})` : ''}`, () => {
  const database = emptyDatabase(pg.cluster!, 'conformance')
  afterAll(async () => {
    await database.close()
    await pg.cluster?.stop()
  })
  // Every test starts on an empty, migrated database.
  describeStoreConformance('Postgres', () => database.store())
})
