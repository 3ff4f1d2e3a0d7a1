import { formatSummary, readProfile, summarizeProfile } from './profile-summary.js'

// `tsx apps/bench/src/summarize-profile.ts FILE.cpuprofile [N]`: self time by module and function.
const [file, n] = process.argv.slice(2)
if (file === undefined) {
  process.stderr.write('usage: summarize-profile FILE.cpuprofile [N]\n')
  process.exit(2)
}
const count = Number(n ?? '25')
process.stdout.write(`${formatSummary(summarizeProfile(readProfile(file), count), count)}\n`)
