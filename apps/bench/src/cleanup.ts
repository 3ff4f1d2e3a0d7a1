/**
 * What must not outlive the bench (server children, temp dirs, the Postgres cluster): run at the
 * end of a run, failed or not, and by main.ts on Ctrl-C or SIGTERM, which would otherwise end the
 * process without running any `finally`.
 */
type Task = () => Promise<void>

const tasks = new Set<Task>()

/** Registers `task` until the returned function runs it (once; a signal may have run it already). */
export function atCleanup(task: Task): () => Promise<void> {
  let done: Promise<void> | undefined
  const once: Task = () => (done ??= (tasks.delete(once), task()))
  tasks.add(once)
  return once
}

/** Runs every registered task, each once, together. */
export async function cleanUpNow(): Promise<void> {
  await Promise.allSettled([...tasks].map((task) => task()))
}
