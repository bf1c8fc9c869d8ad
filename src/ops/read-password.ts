/**
 * Passwords for the CLI: from stdin (`--password-stdin`, for scripts and secrets managers; one
 * trailing newline is dropped) or typed at a hidden prompt on the terminal. Never from argv.
 */
import { text } from 'node:stream/consumers'

export class PasswordInputError extends Error {}

export async function readPassword(opts: { fromStdin: boolean; confirm: boolean }): Promise<string> {
  if (opts.fromStdin) {
    const raw = await text(process.stdin)
    const password = raw.replace(/\r?\n$/, '')
    if (!password) throw new PasswordInputError('--password-stdin: stdin was empty')
    return password
  }
  if (!process.stdin.isTTY) {
    throw new PasswordInputError('no terminal to ask for the password: pipe it with --password-stdin')
  }
  const first = await hiddenPrompt('Password: ')
  if (opts.confirm && (await hiddenPrompt('Repeat password: ')) !== first) throw new PasswordInputError('the two passwords differ')
  return first
}

/** Read one line from the terminal without echoing it (raw mode; Ctrl-C aborts, backspace works). */
function hiddenPrompt(question: string): Promise<string> {
  const stdin = process.stdin
  process.stderr.write(question)
  return new Promise((resolve, reject) => {
    let value = ''
    const finish = (err?: Error) => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write('\n')
      if (err) reject(err)
      else resolve(value)
    }
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish()
        if (ch === '\u0003') return finish(new PasswordInputError('cancelled'))
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else if (ch >= ' ') value += ch
      }
    }
    stdin.setRawMode(true)
    stdin.resume()
    stdin.on('data', onData)
  })
}
