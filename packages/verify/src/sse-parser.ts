/** One server-sent event (WHATWG HTML, "Interpreting an event stream"). */
export interface ServerSentEvent {
  event: string
  data: string
  id: string | undefined
}

/**
 * Feeds text chunks of a `text/event-stream` body, calling back per event and per comment line.
 * Only what this library's feed client needs: no `retry`, no BOM handling beyond the first chunk.
 */
export function createSseParser(onEvent: (event: ServerSentEvent) => void, onComment: () => void) {
  let buffer = ''
  let event = ''
  let data: string[] = []
  let id: string | undefined
  let first = true

  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0) onEvent({ event: event === '' ? 'message' : event, data: data.join('\n'), id })
      event = ''
      data = []
      id = undefined
      return
    }
    if (text.startsWith(':')) {
      onComment()
      return
    }
    const colon = text.indexOf(':')
    const field = colon === -1 ? text : text.slice(0, colon)
    let value = colon === -1 ? '' : text.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
    else if (field === 'id' && !value.includes('\0')) id = value
  }

  return {
    push(chunk: string) {
      if (first) {
        first = false
        if (chunk.startsWith('\uFEFF')) chunk = chunk.slice(1)
      }
      buffer += chunk
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer)
        // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
        if (match === null || (match[0] === '\r' && match.index === buffer.length - 1)) break
        line(buffer.slice(0, match.index))
        buffer = buffer.slice(match.index + match[0].length)
      }
    },
  }
}
