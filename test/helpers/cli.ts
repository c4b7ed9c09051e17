// Runs the built snapdelta command (dist/, built by `npm test`'s pretest) as a child process.
import { spawn } from 'child_process'
import path from 'path'

export const CLI = path.join(__dirname, '..', '..', 'bin', 'snapdelta.js')

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs `snapdelta ...args`; never rejects on a non-zero exit. */
export function runCli(args: string[], options: { input?: Buffer | string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return runCommand(process.execPath, [CLI, ...args], options)
}

/** Runs any command; collects output; never rejects on a non-zero exit. */
export function runCommand(
  command: string,
  args: string[],
  options: { input?: Buffer | string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.on('error', reject)
    child.on('close', (code, signal) =>
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    )
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
  })
}
