// The mount-test protocol (after libfuse's test/util.py): mount through the
// CLI and fail fast if the server died; a strict unmount on success; a forced
// lazy unmount and a kill on failure, so a failing test never leaks a mount.
import { spawn, ChildProcess } from 'child_process'
import { promises as fsp } from 'fs'
import { runCli, runCommand, CliResult, CLI } from './cli'

export interface Mounted {
  mountpoint: string
  /** The server process. */
  pid: number
  summary: { mountpoint: string; pid: number; generations: Array<Record<string, unknown>> }
}

/** True when `mountpoint` is in the kernel's mount table. */
export async function isMounted(mountpoint: string): Promise<boolean> {
  const mounts = await fsp.readFile('/proc/self/mountinfo', 'utf8')
  return mounts.split('\n').some((line) => line.split(' ')[4]?.replace(/\\040/g, ' ') === mountpoint)
}

/** True while process `pid` runs (a zombie counts as exited). */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8')
    return stat[stat.lastIndexOf(')') + 2] !== 'Z'
  } catch {
    return false
  }
}

/** Polls `condition` until true; false after `timeoutMs`. */
export async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await condition()) return true
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** `snapdelta mount MOUNTPOINT ...args --json` in the background (its server gets `env`); throws with the CLI's output unless it is mounted. */
export async function mountWithCli(mountpoint: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Mounted> {
  const result = await runCli(['mount', mountpoint, ...args, '--json'], { env })
  if (result.exitCode !== 0) throw new Error(`mount failed (${result.exitCode}): ${result.stderr}`)
  const summary = JSON.parse(result.stdout)
  const mounted = { mountpoint, pid: summary.pid as number, summary }
  // The CLI returns only once the kernel has sent INIT: the mount must be there now.
  if (!(await isMounted(mountpoint))) {
    await forceUnmount(mounted)
    throw new Error(`snapdelta mount exited 0 but ${mountpoint} is not mounted`)
  }
  if ((env ?? process.env).SNAPDELTA_FAST_READ === '0') await expectJsReadPath(mounted)
  return mounted
}

// `npm run test:js-read-path` runs the mount suites with the native read path
// switched off: a mount that still used it would make that run prove nothing.
async function expectJsReadPath(mounted: Mounted): Promise<void> {
  for (const entry of await fsp.readdir(mounted.mountpoint)) {
    let info: { readPath?: string }
    try {
      info = JSON.parse(await fsp.readFile(`${mounted.mountpoint}/${entry}/info.json`, 'utf8'))
    } catch {
      continue
    }
    if (info.readPath !== 'js') {
      await forceUnmount(mounted)
      throw new Error(`SNAPDELTA_FAST_READ=0, but ${entry}/info.json says readPath ${info.readPath}`)
    }
    return
  }
}

/** `snapdelta umount`: must succeed, leave nothing mounted, and the server must have exited. */
export async function strictUnmount(mounted: Mounted): Promise<CliResult> {
  const result = await runCli(['umount', mounted.mountpoint])
  if (result.exitCode !== 0) throw new Error(`umount failed (${result.exitCode}): ${result.stderr}`)
  if (await isMounted(mounted.mountpoint)) throw new Error(`${mounted.mountpoint} is still mounted after umount`)
  if (await isRunning(mounted.pid)) throw new Error(`server ${mounted.pid} still runs after umount`)
  return result
}

/** Last resort (afterAll/finally): lazy unmount and kill, whatever state things are in. */
export async function forceUnmount(mounted: { mountpoint: string; pid?: number }): Promise<void> {
  if (await isMounted(mounted.mountpoint)) await runCommand('fusermount', ['-uz', mounted.mountpoint])
  if (mounted.pid && (await isRunning(mounted.pid))) {
    try {
      process.kill(mounted.pid, 'SIGKILL')
    } catch {
      // Exited meanwhile.
    }
  }
}

export interface ForegroundServer {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit status once the server exits. */
  exited: Promise<number | null>
}

/** Starts `snapdelta mount MOUNTPOINT ...args --foreground` (with `env`) and waits until it reports ready; fails fast if the server dies first. */
export async function startForeground(mountpoint: string, args: string[], env?: NodeJS.ProcessEnv): Promise<ForegroundServer> {
  const child = spawn(process.execPath, [CLI, 'mount', mountpoint, ...args, '--foreground'], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  let dead = false
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      dead = true
      resolve(code)
    }),
  )
  const server = { child, stdout: () => out, stderr: () => err, exited }
  // Ready means the summary is printed (after INIT), not just listed in the mount table.
  const ready = await waitFor(async () => dead || (out.includes('unmount with:') && (await isMounted(mountpoint))))
  if (dead || !ready) {
    await forceUnmount({ mountpoint, pid: child.pid })
    throw new Error(`the foreground server ${dead ? 'died' : 'did not mount in time'}: ${err}`)
  }
  return server
}
