// The C floor of the table item (c/area-reads.c): compiled by the bench
// itself, once a run, into the workspace.
import path from 'path'
import { Workspace } from './inputs'
import { runOk } from './shell'

// The source stays in src/: the bench runs from a checkout, never from the package.
const SOURCE = path.join(__dirname, '..', '..', 'src', 'bench', 'c', 'area-reads.c')

let built: Promise<string> | undefined

/** The path of the compiled area reader, compiling it on first use. */
export function cAreaReadsBinary(workspace: Workspace): Promise<string> {
  built ??= runOk('cc', ['-O2', '-Wall', '-pthread', '-o', workspace.file('c-area-reads'), SOURCE]).then(() => workspace.file('c-area-reads'))
  return built
}
