// The per-user runtime directory: mount servers' records and logs, and the
// locks that let one snapdelta at a time write a TARGET. Its files have
// guessable names, so it must be private (private-dir.ts).
import os from 'os'
import path from 'path'
import { ensurePrivateDir } from './private-dir'

/** /run/snapdelta for root, else $XDG_RUNTIME_DIR/snapdelta, else a per-user folder in the temp dir. */
export function runtimeDir(): string {
  const uid = process.getuid?.() ?? 0
  if (uid === 0) return '/run/snapdelta'
  if (process.env.XDG_RUNTIME_DIR) return path.join(process.env.XDG_RUNTIME_DIR, 'snapdelta')
  return path.join(os.tmpdir(), `snapdelta-${uid}`)
}

/** Creates the runtime dir, or refuses one that another user could fill with symlinks. */
export async function ensureRuntimeDir(): Promise<string> {
  const dir = runtimeDir()
  const instead = process.env.XDG_RUNTIME_DIR || process.getuid?.() === 0 ? '' : ', or set XDG_RUNTIME_DIR to a directory only you can write'
  const remedy = `remove it (snapdelta then creates it with mode 0700)${instead}`
  await ensurePrivateDir(dir, { what: 'runtime directory', remedy })
  return dir
}
