// FUSE mounts made by the benchmark: the bare pass-through baseline and
// `snapdelta mount`. Every mount is registered until unmounted, so one
// cleanup in main's finally can take down whatever an item left behind.
import { ChildProcess, spawn } from 'child_process'
import { promises as fsp, readFileSync } from 'fs'
import path from 'path'
import { run, runOk, secondsSince } from './shell'

/** The snapdelta command of this checkout. */
export const SNAPDELTA = path.join(__dirname, '..', '..', 'bin', 'snapdelta.js')

// The pass-through server unmounts itself on SIGTERM; snapdelta's server exits on fusermount -u.
const live = new Map<string, { pid?: number; stopBySignal?: boolean }>()

/** True when `mountpoint` is in /proc/mounts. */
export function isMounted(mountpoint: string): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === mountpoint)
}

export interface PassthroughMount {
  mountpoint: string
  pid: number
  /** Seconds from spawning the server until it answered. */
  mountSeconds: number
}

/** The bare fuse-native pass-through server (passthrough-server.ts); the C one is c-passthrough.ts's binary. */
export const FUSE_NATIVE_PASSTHROUGH: readonly string[] = [process.execPath, path.join(__dirname, 'passthrough-server.js')]

/** Mounts a pass-through filesystem (`server`: its command) serving `filePath` as MOUNTPOINT/`name`. */
export async function mountPassthrough(mountpoint: string, filePath: string, name: string, server = FUSE_NATIVE_PASSTHROUGH): Promise<PassthroughMount> {
  await fsp.mkdir(mountpoint, { recursive: true })
  const start = process.hrtime.bigint()
  const child = spawn(server[0], [...server.slice(1), mountpoint, filePath, name], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.set(mountpoint, { pid: child.pid, stopBySignal: true })
  await waitForReady(child, mountpoint)
  await runOk('ls', [mountpoint])
  return { mountpoint, pid: child.pid ?? 0, mountSeconds: secondsSince(start) }
}

function waitForReady(child: ChildProcess, mountpoint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve()
    })
    // Fail fast if the daemon died instead of waiting for a mount that will never come.
    child.on('exit', (code) => reject(new Error(`pass-through server for ${mountpoint} exited ${code}: ${stderr.trim()}`)))
  })
}

export interface SnapdeltaGeneration {
  cow: string
  snapshot: string
  name: string
}

export interface SnapdeltaMount {
  mountpoint: string
  /** The background server's pid, as mount prints it (else found by its command line); undefined if not found. */
  pid?: number
  /** Seconds from running `snapdelta mount` until `ls MOUNTPOINT/GEN/` answered. */
  mountSeconds: number
}

/** Runs `snapdelta mount`, then `ls` of the first generation directory; times both. */
export function mountSnapdelta(mountpoint: string, generations: readonly SnapdeltaGeneration[]): Promise<SnapdeltaMount> {
  const args: string[] = []
  for (const g of generations) args.push('--cow', g.cow, '--snapshot', g.snapshot, '--name', g.name)
  return mountWith(mountpoint, args, path.join(mountpoint, generations[0].name))
}

/** Runs `snapdelta mount MOUNTPOINT --history DIR`, then `ls` of the mount; times both. */
export function mountSnapdeltaHistory(mountpoint: string, historyDir: string): Promise<SnapdeltaMount> {
  return mountWith(mountpoint, ['--history', historyDir], mountpoint)
}

async function mountWith(mountpoint: string, options: readonly string[], lsPath: string): Promise<SnapdeltaMount> {
  await fsp.mkdir(mountpoint, { recursive: true })
  const args = [SNAPDELTA, 'mount', mountpoint, ...options]
  const start = process.hrtime.bigint()
  live.set(mountpoint, {})
  const mounted = await run(process.execPath, args)
  if (mounted.exitCode !== 0) {
    throw new Error(`snapdelta mount ${mountpoint} exited ${mounted.exitCode}: ${mounted.stderr.trim()}`)
  }
  await runOk('ls', [lsPath])
  const mountSeconds = secondsSince(start)
  const printed = /server pid (\d+)/.exec(mounted.stdout + mounted.stderr)
  const pid = printed ? Number(printed[1]) : await findServerPid(mountpoint)
  live.set(mountpoint, { pid })
  return { mountpoint, pid, mountSeconds }
}

/** The pid of the process (other than this one) whose command line names `mountpoint`. */
async function findServerPid(mountpoint: string): Promise<number | undefined> {
  for (const entry of await fsp.readdir('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      const cmdline = (await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')
      if (cmdline.includes(mountpoint) && cmdline.some((arg) => arg.includes('snapdelta'))) return pid
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined
}

/** Resident memory of a process in bytes (VmRSS), or undefined when it is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

// Linux's USER_HZ: /proc/PID/stat counts CPU time in these ticks.
const TICKS_PER_SECOND = 100

/** CPU time (user + system) a process has used so far, in seconds; undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return undefined
  }
}

/** Unmounts strictly, then lazily if busy, then ends the server. */
export async function unmount(mountpoint: string): Promise<void> {
  const entry = live.get(mountpoint)
  if (entry?.pid && entry.stopBySignal) {
    signal(entry.pid, 'SIGTERM')
    await waitForExit(entry.pid)
  }
  if (isMounted(mountpoint)) {
    const strict = await run('fusermount', ['-u', mountpoint])
    if (strict.exitCode !== 0) await run('fusermount', ['-uz', mountpoint])
  }
  if (entry?.pid) await waitForExit(entry.pid)
  live.delete(mountpoint)
}

async function waitForExit(pid: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  signal(pid, 'SIGKILL')
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // Already gone.
  }
}

/** Unmounts every mount the benchmark made that is still up (main's finally). */
export async function unmountAll(): Promise<void> {
  for (const mountpoint of [...live.keys()]) await unmount(mountpoint)
}
