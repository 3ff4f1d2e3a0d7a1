/** What the primary tells a worker, over the cluster's IPC channel. */
export type ToWorker =
  | {
      type: 'start'
      env: Record<string, string | undefined>
      cwd: string
      /** Exactly one worker runs the periodic prune. */
      prune: boolean
    }
  | { type: 'stop'; graceMs: number }
  /** A request to the operations listener, which the primary serves for all workers. */
  | { type: 'ops'; id: number; path: string }

/** What a worker answers. */
export type FromWorker =
  /** Loaded and listening for its orders (anything sent before would be lost). */
  | { type: 'waiting' }
  | { type: 'ready'; url: string; port: number; opsUrl?: string | undefined }
  | { type: 'failed'; code?: string | undefined; message: string }
  /** Its operations app's answer; for `/metrics`, the registry as JSON (for the primary to add up). */
  | { type: 'ops'; id: number; status: number; contentType: string | null; body: string; metrics?: object[] }

export function isFromWorker(message: unknown): message is FromWorker {
  const type = (message as { type?: unknown } | null)?.type
  return type === 'waiting' || type === 'ready' || type === 'failed' || type === 'ops'
}
