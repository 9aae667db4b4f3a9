// Progress lines on stderr for long CLI commands: rewritten in place on a terminal, one line
// every few seconds otherwise (logs stay short).
export function progressPrinter(command: string) {
  const tty = process.stderr.isTTY === true
  const started = Date.now()
  let last = 0
  let shown = false
  return {
    update(done: number, total: number | null, message?: string) {
      const now = Date.now()
      if (now - last < (tty ? 200 : 2000) && done !== total) return
      last = now
      const secs = (now - started) / 1000
      const rate = secs > 0 ? Math.round(done / secs) : 0
      const line = `${command}: ${done}${total !== null ? `/${total}` : ''}${message ? ` ${message}` : ''} (${rate}/s)`
      if (tty) process.stderr.write(`\r\x1b[2K${line}`)
      else process.stderr.write(line + '\n')
      shown = true
    },
    end() {
      if (tty && shown) process.stderr.write('\n')
      shown = false
    },
  }
}
