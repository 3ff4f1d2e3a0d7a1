/**
 * Where things are in a JSON text, so configuration errors can name a line: the offset of each
 * value (and of each member's key) by path, duplicate keys, or the offset of the first syntax
 * error. The value itself still comes from JSON.parse; this only walks the text.
 */
export type JsonPath = readonly (string | number)[]

/** Offsets by path: of each value, and of each object member's key. */
export interface JsonPositions {
  values: Map<string, number>
  keys: Map<string, number>
}

export type JsonScan =
  | { ok: true; positions: JsonPositions; duplicateKey?: { path: JsonPath; offset: number } }
  | { ok: false; offset: number; message: string }

class JsonScanError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message)
  }
}

const pathKey = (path: JsonPath) => JSON.stringify(path)
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const STRING = /"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y

export function scanJson(text: string): JsonScan {
  const positions: JsonPositions = { values: new Map(), keys: new Map() }
  let duplicateKey: { path: JsonPath; offset: number } | undefined
  let i = 0

  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++
  }
  const fail = (message: string): never => {
    throw new JsonScanError(i, i >= text.length ? 'unexpected end of the file' : message)
  }
  const expect = (char: string) => {
    ws()
    if (text[i] !== char) fail(`expected "${char}"`)
    i++
  }
  const match = (re: RegExp, what: string): string => {
    re.lastIndex = i
    const m = re.exec(text)
    if (m === null) fail(`expected ${what}`)
    i += m![0].length
    return m![0]
  }

  const value = (path: JsonPath): void => {
    ws()
    positions.values.set(pathKey(path), i)
    const c = text[i]
    if (c === '{') {
      i++
      ws()
      if (text[i] === '}') return void i++
      const seen = new Set<string>()
      for (;;) {
        ws()
        const at = i
        const key = JSON.parse(match(STRING, 'a double-quoted property name')) as string
        if (seen.has(key)) duplicateKey ??= { path: [...path, key], offset: at }
        seen.add(key)
        positions.keys.set(pathKey([...path, key]), at)
        expect(':')
        value([...path, key])
        ws()
        if (text[i] === ',') i++
        else if (text[i] === '}') return void i++
        else fail('expected "," or "}"')
      }
    }
    if (c === '[') {
      i++
      ws()
      if (text[i] === ']') return void i++
      for (let index = 0; ; index++) {
        value([...path, index])
        ws()
        if (text[i] === ',') i++
        else if (text[i] === ']') return void i++
        else fail('expected "," or "]"')
      }
    }
    if (c === '"') return void match(STRING, 'a string')
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) return void (i += literal.length)
    }
    match(NUMBER, 'a value')
  }

  try {
    value([])
    ws()
    if (i < text.length) fail('unexpected text after the end')
  } catch (error) {
    if (error instanceof JsonScanError) return { ok: false, offset: error.offset, message: error.message }
    throw error
  }
  return duplicateKey === undefined ? { ok: true, positions } : { ok: true, positions, duplicateKey }
}

/** The offset of a member's key, else of the value at `path`, else of its nearest ancestor. */
export function offsetOf(positions: JsonPositions, path: JsonPath): number {
  for (let n = path.length; n >= 0; n--) {
    const key = pathKey(path.slice(0, n))
    const at = positions.keys.get(key) ?? positions.values.get(key)
    if (at !== undefined) return at
  }
  return 0
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++
      lineStart = k + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}
