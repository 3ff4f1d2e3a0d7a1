import { text } from 'node:stream/consumers'
import { runCli } from './run.js'

// The CLI's entry: the only place it touches process globals.
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  readStdin: () => (process.stdin.isTTY ? Promise.resolve('') : text(process.stdin)),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
})
process.exitCode = code
