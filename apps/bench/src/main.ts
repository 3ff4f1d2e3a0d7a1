import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { cleanUpNow } from './cleanup.js'
import { formatDelta } from './profile-summary.js'
import { formatReport } from './report.js'
import { runBench } from './run.js'
import { FULL, QUICK } from './settings.js'

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const USAGE = 'usage: pnpm bench [--quick] [--out PATH] [--profile [--profile-dir DIR]]\n'

async function main(): Promise<void> {
  let values
  try {
    ;({ values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        out: { type: 'string' },
        profile: { type: 'boolean', default: false },
        'profile-dir': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }))
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`)
    process.exit(2)
  }
  if (values.help) return void process.stdout.write(USAGE)
  const out = values.out === undefined ? resolve(REPO_ROOT, 'bench-results.json') : resolve(values.out)
  const profileDir = values.profile ? resolve(values['profile-dir'] ?? resolve(REPO_ROOT, '.artifacts/bench')) : undefined

  // Ctrl-C would end the process without a `finally`: stop the servers, the Postgres cluster
  // included, and delete the temp dirs first (a second Ctrl-C ends it at once).
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}: stopping the servers\n`)
      setTimeout(() => process.exit(code), 15_000).unref()
      void cleanUpNow().finally(() => process.exit(code))
    })
  }
  const results = await runBench({
    settings: values.quick ? QUICK : FULL,
    ...(profileDir === undefined ? {} : { profileDir }),
    log: (line) => process.stderr.write(`bench: ${line}\n`),
  })
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
  process.stdout.write(`${formatReport(results)}\n`)
  const p = results.profile
  if (p !== undefined) {
    process.stdout.write(
      [
        '',
        `CPU profiles under the hot-path load: ${p.gateway.path}, ${p.bare.path}`,
        `main thread busy per request: gateway ${p.gateway.busyUsPerRequest} µs, bare proxy ${p.bare.busyUsPerRequest} µs`,
        formatDelta('where the gateway spends more than the bare proxy, by module', p.deltaModules),
        formatDelta('... by function', p.deltaFunctions),
        "the gateway's own functions, callees included (synchronous part), µs per request:",
        ...p.gateway.ownCodeInclusive.slice(0, 15).map((e) => `  ${e.usPerRequest.toFixed(1).padStart(7)}  ${e.name}`),
        '',
      ].join('\n'),
    )
  }
  process.stdout.write(`results: ${out}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
