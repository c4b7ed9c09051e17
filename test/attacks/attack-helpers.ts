// What the attacks share: a real-kernel generation in scratch files the test
// may change, a mount of it that never outlives the attack, and commands run
// with a deadline (an attack that makes snapdelta hang must fail, not hang).
import { spawn } from 'child_process'
import { copyFileSync } from 'fs'
import path from 'path'
import { CLI, CliResult } from '../helpers/cli'
import { realKernelFixture, RealKernelFixture } from '../helpers/fixtures'
import { forceUnmount, Mounted, mountWithCli } from '../helpers/mount'
import { scratchDir } from '../helpers/tmp'

export interface ScratchGeneration {
  dir: string
  fixture: RealKernelFixture
  /** A private copy of the fixture's new snapshot (the attack may change it). */
  snapshot: string
  /** A private copy of the old snapshot's content: the backup before the delta. */
  target: string
}

/** Copies the a-random-4k fixture's snapshot and base into a new scratch directory. */
export function scratchGeneration(label: string): ScratchGeneration {
  const fixture = realKernelFixture('a-random-4k')
  const dir = scratchDir(label)
  const snapshot = path.join(dir, 'snap2.img')
  const target = path.join(dir, 'backup.img')
  copyFileSync(fixture.snap2, snapshot)
  copyFileSync(fixture.base, target)
  return { dir, fixture, snapshot, target }
}

/** Mounts `g` as generation "gen" and runs `work`; always unmounts, even when `work` fails. */
export async function withMount<T>(g: ScratchGeneration, work: (mounted: Mounted) => Promise<T>): Promise<T> {
  const mountpoint = path.join(g.dir, 'mnt')
  let mounted: Mounted | undefined
  try {
    mounted = await mountWithCli(mountpoint, ['--mkdir', '--cow', g.fixture.cow1, '--snapshot', g.snapshot, '--name', 'gen'])
    return await work(mounted)
  } finally {
    await forceUnmount({ mountpoint, pid: mounted?.pid })
  }
}

export interface TimedResult extends CliResult {
  /** True when the command was still running at the deadline and was killed. */
  timedOut: boolean
}

/** Runs `command args` and kills it after `timeoutMs`; never rejects. */
export function runWithDeadline(command: string, args: string[], timeoutMs = 20_000, env?: NodeJS.ProcessEnv): Promise<TimedResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr, timedOut })
    })
  })
}

/** `snapdelta ...args` with a deadline. */
export function snapdelta(args: string[], timeoutMs?: number, env?: NodeJS.ProcessEnv): Promise<TimedResult> {
  return runWithDeadline(process.execPath, [CLI, ...args], timeoutMs, env)
}
