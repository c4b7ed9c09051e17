// Runs commands as other local users (setpriv: the tests must run as root), for
// attacks where one user prepares a trap and another walks into it.
import { chmodSync, copyFileSync, mkdirSync } from 'fs'
import path from 'path'
import { CLI, CliResult, runCommand } from './cli'

/** An unprivileged uid with no passwd entry: the victim of the attacks. */
export const VICTIM_UID = 4242
/** nobody: the attacker. */
export const ATTACKER_UID = 65534

/** Runs `command ...args` as `uid` (same gid, no supplementary groups) with exactly `env`. */
export function runAs(uid: number, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const fullEnv = { PATH: process.env.PATH, ...env }
  return runCommand('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', command, ...args], { env: fullEnv, cwd: '/' })
}

/** Runs the built CLI as `uid`. */
export function runCliAs(uid: number, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runAs(uid, process.execPath, [CLI, ...args], env)
}

/** Copies `files` into `dir` (created) where every user can read them; returns the copies' paths. */
export function copyReadable(dir: string, files: string[]): string[] {
  mkdirSync(dir, { recursive: true })
  chmodSync(dir, 0o755)
  return files.map((file) => {
    const copy = path.join(dir, path.basename(file))
    copyFileSync(file, copy)
    chmodSync(copy, 0o644)
    return copy
  })
}
