import pg from 'pg'
import { openSqlite } from '@gatehouse/store-sqlite'

/** What the phase reads from the gateway's store after the wave. */
export interface RowReader {
  /** created_at of every refresh-token row created at or after `since` (gateway time, ms). */
  refreshRowsCreatedSince(since: number): Promise<number[]>
  maxRefreshRowsPerSession(): Promise<number>
}

export function sqliteRows(path: string): RowReader {
  const query = <T>(work: (client: ReturnType<typeof openSqlite>['client']) => T): Promise<T> => {
    const { client } = openSqlite(path)
    try {
      return Promise.resolve(work(client))
    } finally {
      client.close()
    }
  }
  return {
    refreshRowsCreatedSince: (since) =>
      query((c) => (c.prepare('SELECT created_at AS t FROM refresh_tokens WHERE created_at >= ?').all(since) as { t: number }[]).map((r) => r.t)),
    maxRefreshRowsPerSession: () =>
      query((c) => (c.prepare('SELECT coalesce(max(n), 0) AS n FROM (SELECT count(*) AS n FROM refresh_tokens GROUP BY session_id)').get() as { n: number }).n),
  }
}

export function postgresRows(url: string): RowReader {
  const query = async <T>(text: string, values: unknown[], pick: (rows: Record<string, unknown>[]) => T): Promise<T> => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      return pick((await client.query(text, values)).rows as Record<string, unknown>[])
    } finally {
      await client.end()
    }
  }
  return {
    refreshRowsCreatedSince: (since) => query('SELECT created_at::float8 AS t FROM refresh_tokens WHERE created_at >= $1', [since], (rows) => rows.map((r) => Number(r.t))),
    maxRefreshRowsPerSession: () =>
      query('SELECT coalesce(max(n), 0)::int AS n FROM (SELECT count(*) AS n FROM refresh_tokens GROUP BY session_id) c', [], (rows) => Number(rows[0]!.n)),
  }
}
