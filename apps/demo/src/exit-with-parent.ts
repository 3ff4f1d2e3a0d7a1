// Preloaded (`node --import`) into every process the demo launcher starts: the child ends when
// its parent does, whatever ended the parent (Ctrl-C, SIGTERM, or a SIGKILL no handler sees).
// Two signals, either suffices: the launcher holds the write end of this process's stdin and
// never writes, so the kernel closes it when the launcher dies (EOF here); and the parent
// process id changes once this process is orphaned.
if (process.env.GATEHOUSE_DEMO_CHILD === '1') {
  const parent = process.ppid
  const leave = () => process.exit(0)
  process.stdin.on('end', leave)
  process.stdin.on('error', leave)
  process.stdin.resume()
  setInterval(() => {
    if (process.ppid !== parent) leave()
  }, 500).unref()
}
