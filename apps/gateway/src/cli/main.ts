import { text } from 'node:stream/consumers'
import { promptNewPassword } from './prompt.js'
import { runCli } from './run.js'

// The CLI's entry: the only place it touches process globals. At a terminal, `--password-stdin`
// asks for the password with hidden input instead of reading an empty line.
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  readStdin: () => (process.stdin.isTTY ? promptNewPassword(process.stdin, process.stderr) : text(process.stdin)),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
})
process.exitCode = code
