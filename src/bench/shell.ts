// Child processes, timing and the page cache, for the benchmark.
import { spawn } from 'child_process'
import { writeFileSync } from 'fs'

export interface Ran {
  exitCode: number
  stdout: string
  stderr: string
  seconds: number
}

/** Seconds since `start` (from process.hrtime.bigint()). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9
}

/** Runs a command and times it; never rejects on a non-zero exit (the caller decides). */
export function run(command: string, args: readonly string[], options: { shell?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(command, args as string[], { stdio: ['ignore', 'pipe', 'pipe'], shell: options.shell, env: options.env ?? process.env })
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
        seconds: secondsSince(start),
      }),
    )
  })
}

/** Runs a command and rejects, with its stderr, unless it exits 0. */
export async function runOk(command: string, args: readonly string[], options: { shell?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  const ran = await run(command, args, options)
  if (ran.exitCode !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${ran.exitCode}: ${ran.stderr.trim() || ran.stdout.trim()}`)
  }
  return ran
}

/** Runs a shell script with bash; rejects unless it exits 0. */
export function bash(script: string): Promise<Ran> {
  return runOk('bash', ['-c', script])
}

/**
 * Writes dirty pages back and drops the page cache, so the next read comes
 * from the disk. Returns false when not allowed (not root): reads are then warm.
 */
export async function dropCaches(): Promise<boolean> {
  await runOk('sync', [])
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3')
    return true
  } catch {
    return false
  }
}

/** Times `dd if=path of=/dev/null` with the given dd operands; returns seconds. */
export async function ddRead(path: string, operands: readonly string[] = ['bs=1M']): Promise<number> {
  const ran = await runOk('dd', [`if=${path}`, 'of=/dev/null', 'status=none', ...operands])
  return ran.seconds
}

/** MiB per second. */
export function mibPerSecond(bytes: number, seconds: number): number {
  return bytes / (1 << 20) / seconds
}
