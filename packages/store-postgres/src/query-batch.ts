/**
 * Calls that arrive while the event loop is busy (the requests one turn of it reads) go to
 * Postgres together, in one statement, at the end of that turn (setImmediate), instead of one
 * round trip each. A statement's fixed cost (the protocol messages, a syscall each way, the
 * executor's start-up, a commit for a write) is most of what one session's lookup or one
 * refresh-token renewal costs, on both sides of the connection; when a cohort of sessions comes
 * at once (a restart, a login wave) each pays a share of one.
 *
 * A call alone runs its own statement. A batch whose statement fails (a deadlock with another
 * gateway's batch, a serialization failure, anything) is run again one call at a time, so each
 * call gets its own answer or its own error, as it would have without the batching.
 */
export function createQueryBatch<In, Out>(o: { one(input: In): Promise<Out>; many(inputs: In[]): Promise<Out[]> }): (input: In) => Promise<Out> {
  type Call = { input: In; resolve(out: Out): void; reject(error: unknown): void }
  let pending: Call[] = []
  const settleEach = (calls: Call[]) => {
    for (const call of calls) o.one(call.input).then(call.resolve, call.reject)
  }
  const flush = () => {
    const calls = pending
    pending = []
    if (calls.length === 1) return settleEach(calls)
    o.many(calls.map((c) => c.input)).then(
      (outs) => calls.forEach((call, i) => call.resolve(outs[i]!)),
      () => settleEach(calls),
    )
  }
  return (input) =>
    new Promise<Out>((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush)
      pending.push({ input, resolve, reject })
    })
}
