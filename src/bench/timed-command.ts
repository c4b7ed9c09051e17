// A command run as a user runs it, its output sent to /dev/null, under GNU
// time: Node cannot get a child's CPU time or peak memory, and wait4's rusage
// (what GNU time prints) has both, for the command and the children it waited for.
import { spawn } from 'child_process'
import { promises as fsp } from 'fs'
import { secondsSince } from './shell'

export const GNU_TIME = '/usr/bin/time'

export interface TimedCommand {
  /** Wall time from spawning GNU time until it exited. */
  seconds: number
  /** User + system CPU time of the command and of every child it waited for. */
  cpuSeconds: number
  /** The largest peak resident size among the command and its children (ru_maxrss). */
  peakResidentBytes: number
}

// GNU time's last line of stderr, after anything the command printed there.
const FORMAT = 'gnu-time %U %S %M'
const LINE = /^gnu-time (\d+\.\d+) (\d+\.\d+) (\d+)$/

/** Runs `command` with stdout to /dev/null; rejects, with its stderr, unless it exits 0. */
export async function timeCommand(command: string, args: readonly string[]): Promise<TimedCommand> {
  const devNull = await fsp.open('/dev/null', 'w')
  try {
    const start = process.hrtime.bigint()
    const child = spawn(GNU_TIME, ['-f', FORMAT, '--', command, ...args], { stdio: ['ignore', devNull.fd, 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')))
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.on('error', (err) => reject(new Error(`cannot run ${GNU_TIME} (Debian package time): ${err.message}`)))
      child.on('close', (code) => resolve(code ?? 1))
    })
    const seconds = secondsSince(start)
    const lines = stderr.trimEnd().split('\n')
    const m = LINE.exec(lines[lines.length - 1])
    if (exitCode !== 0 || !m) throw new Error(`${command} ${args.join(' ')} exited ${exitCode}: ${stderr.trim()}`)
    return { seconds, cpuSeconds: Number(m[1]) + Number(m[2]), peakResidentBytes: Number(m[3]) * 1024 }
  } finally {
    await devNull.close()
  }
}
