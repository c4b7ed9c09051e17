// The C libfuse pass-through baseline (c/passthrough.c): compiled by the bench
// itself with the system's libfuse 2 (libfuse-dev), once a run, into the workspace.
import path from 'path'
import { Workspace } from './inputs'
import { runOk } from './shell'

// The source stays in src/: the bench runs from a checkout, never from the package.
const SOURCE = path.join(__dirname, '..', '..', 'src', 'bench', 'c', 'passthrough.c')

let built: Promise<string> | undefined

/** The path of the compiled pass-through server, compiling it on first use. */
export function cPassthroughBinary(workspace: Workspace): Promise<string> {
  built ??= compile(workspace.file('c-passthrough'))
  return built
}

async function compile(binary: string): Promise<string> {
  const flags = (await runOk('pkg-config', ['--cflags', '--libs', 'fuse'])).stdout.trim().split(/\s+/)
  await runOk('cc', ['-O2', '-Wall', '-o', binary, SOURCE, ...flags])
  return binary
}
