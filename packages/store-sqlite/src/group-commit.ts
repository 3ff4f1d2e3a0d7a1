import type Database from 'better-sqlite3'

/**
 * Group commit: the calls that arrive while the event loop is busy (the requests one turn of it
 * reads) run together in one immediate transaction, at the end of that turn (setImmediate),
 * instead of one transaction each. A commit (the WAL append, its lock and its syscalls) costs
 * several times the statements of one refresh-token renewal, so when a cohort of sessions renews
 * at once (a restart, a login wave) each pays a share of one commit.
 *
 * Each call's work is independent: it returns its own result, or throws its own error, which
 * rejects that call alone (its statements are rolled back to a savepoint; the others' commit).
 * If the transaction itself cannot start or commit (the database is locked past busy_timeout,
 * the disk is full), every call of the batch is rejected with that error, and none of them wrote.
 */
export function createGroupCommit<In, Out>(client: Database.Database, work: (input: In) => Out): (input: In) => Promise<Out> {
  type Call = { input: In; resolve(out: Out): void; reject(error: unknown): void }
  let pending: Call[] = []
  const one = client.transaction((input: In) => work(input))
  const all = client.transaction((calls: Call[]) => {
    const settled: Array<{ ok: true; out: Out } | { ok: false; error: unknown }> = []
    for (const call of calls) {
      try {
        // A nested better-sqlite3 transaction is a savepoint: a call that throws undoes only its own writes.
        settled.push({ ok: true, out: one(call.input) })
      } catch (error) {
        settled.push({ ok: false, error })
      }
    }
    return settled
  })
  const flush = () => {
    const calls = pending
    pending = []
    let settled: ReturnType<typeof all>
    try {
      settled = all.immediate(calls)
    } catch (error) {
      for (const call of calls) call.reject(error)
      return
    }
    calls.forEach((call, i) => {
      const s = settled[i]!
      if (s.ok) call.resolve(s.out)
      else call.reject(s.error)
    })
  }
  return (input) =>
    new Promise<Out>((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush)
      pending.push({ input, resolve, reject })
    })
}
