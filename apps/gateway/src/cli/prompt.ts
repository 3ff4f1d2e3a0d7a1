import { UsageError } from './io.js'

export interface PromptInput {
  setRawMode?(raw: boolean): unknown
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown
  resume(): unknown
  pause(): unknown
}

/**
 * One line typed at a terminal, never echoed: raw mode, so the terminal shows nothing while the
 * keys are read here (backspace edits, Enter ends, Ctrl-C or Ctrl-D gives up).
 */
export function readHidden(input: PromptInput, output: { write(text: string): unknown }, question: string): Promise<string> {
  // Raw mode before the question: keys typed as soon as it shows must not be echoed.
  input.setRawMode?.(true)
  output.write(question)
  input.resume()
  return new Promise((resolve, reject) => {
    let line = ''
    const done = (error?: Error) => {
      input.off('data', onData)
      input.setRawMode?.(false)
      input.pause()
      output.write('\n')
      if (error) reject(error)
      else resolve(line)
    }
    const onData = (chunk: Buffer | string) => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') return done()
        if (ch === '\u0003' || ch === '\u0004') return done(new UsageError('no password given'))
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1)
        else if (ch >= ' ') line += ch
      }
    }
    input.on('data', onData)
  })
}

/** `--password-stdin` at a terminal: asks twice without echo, so a typo is caught. */
export async function promptNewPassword(input: PromptInput, output: { write(text: string): unknown }): Promise<string> {
  const first = await readHidden(input, output, 'New password (not shown): ')
  if (first === '') throw new UsageError('--password-stdin: no password typed')
  const again = await readHidden(input, output, 'Again: ')
  if (again !== first) throw new UsageError('--password-stdin: the two passwords differ')
  return `${first}\n`
}
