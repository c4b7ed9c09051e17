// `npm run bench`: measures snapdelta at terabyte scale (issue 5) against
// baselines measured in the same run, prints a table, then one line of JSON.
// A missed target is reported, not failed: the exit status is non-zero only
// when an item crashed.
import os from 'os'
import { describeMachine } from './machine'
import { formatBytes } from '../units'
import { BenchContext, BenchItem } from './context'
import { Workspace } from './inputs'
import { SNAPDELTA, unmountAll } from './mounts'
import { formatTable, ItemResult } from './report'
import { dropCaches, run, secondsSince } from './shell'
import { FULL_SIZES, QUICK_SIZES } from './sizes'
import { tableReading } from './items/table-reading'
import { mountTime } from './items/mount-time'
import { fullRead } from './items/full-read'
import { incrementalCopy } from './items/incremental-copy'
import { changedListing } from './items/changed-listing'
import { manyReaders } from './items/many-readers'
import { historyMount } from './items/history'
import { thinMap } from './items/thin-map'

const ITEMS: readonly BenchItem[] = [tableReading, mountTime, fullRead, incrementalCopy, changedListing, manyReaders, historyMount, thinMap]

const USAGE = `usage: npm run bench -- [--quick] [--only NAME]
  --quick      small inputs (a smoke run of a few seconds)
  --only NAME  run one item: ${ITEMS.map((i) => i.name).join(', ')}`

interface Options {
  quick: boolean
  only?: string
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { quick: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--quick') options.quick = true
    else if (arg === '--only' && argv[i + 1]) options.only = argv[++i]
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE + '\n')
      process.exit(0)
    } else {
      process.stderr.write(`bench: unknown argument ${arg}\n${USAGE}\n`)
      process.exit(2)
    }
  }
  if (options.only && !ITEMS.some((i) => i.name === options.only)) {
    process.stderr.write(`bench: no item called ${options.only}\n${USAGE}\n`)
    process.exit(2)
  }
  return options
}

interface Commands {
  names: Set<string>
  /** Why none are known: `snapdelta --help` itself failed (e.g. a broken build). */
  problem?: string
}

/** The snapdelta commands this checkout has, from its --help. */
async function availableCommands(): Promise<Commands> {
  const help = await run(process.execPath, [SNAPDELTA, '--help'])
  if (help.exitCode !== 0) {
    const why = help.stderr.split('\n').find((line) => /Error/.test(line)) ?? help.stderr.trim().split('\n')[0]
    return { names: new Set(), problem: `snapdelta --help exited ${help.exitCode}: ${why}` }
  }
  return { names: new Set([...help.stdout.matchAll(/^\s{2}([a-z][a-z-]*)\b/gm)].map((m) => m[1])) }
}

async function runItem(item: BenchItem, workspace: Workspace, options: Options, commands: Commands): Promise<ItemResult> {
  const result: ItemResult = { item: item.name, title: item.title, status: 'ok', seconds: 0, figures: [], notes: [] }
  const missing = item.needs.filter((c) => !commands.names.has(c))
  if (missing.length > 0) {
    result.status = 'skipped'
    result.notes.push(commands.problem ?? `snapdelta has no ${missing.join(', ')} command yet`)
    return result
  }
  let warnedWarm = false
  const context: BenchContext = {
    workspace,
    sizes: options.quick ? QUICK_SIZES : FULL_SIZES,
    note: (text) => result.notes.push(text),
    coldCache: async () => {
      if (!(await dropCaches()) && !warnedWarm) {
        warnedWarm = true
        result.notes.push('could not drop the page cache (needs root): reads may be warm')
      }
    },
  }
  const start = process.hrtime.bigint()
  try {
    result.figures = await item.run(context)
  } catch (err) {
    result.status = 'error'
    result.error = (err as Error).stack ?? String(err)
  } finally {
    // An item that failed half-way must not leave a mount for the next one.
    await unmountAll()
    result.seconds = secondsSince(start)
  }
  return result
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2))
  const workspace = await Workspace.create()
  const cleanUp = async () => {
    await unmountAll()
    await workspace.remove()
  }
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)))
  process.once('SIGTERM', () => void cleanUp().then(() => process.exit(143)))
  const start = process.hrtime.bigint()
  const results: ItemResult[] = []
  try {
    const machine = await describeMachine(workspace.dir)
    const commands = await availableCommands()
    for (const item of ITEMS) {
      if (options.only && item.name !== options.only) continue
      process.stderr.write(`bench: ${item.name} (${item.title})...\n`)
      const result = await runItem(item, workspace, options, commands)
      process.stderr.write(`bench: ${item.name} ${result.status} in ${result.seconds.toFixed(1)} s\n`)
      results.push(result)
    }
    const loadAverageAtEnd = os.loadavg()[0]
    process.stdout.write(
      `machine: ${machine.cpus} x ${machine.cpuModel}, ${formatBytes(machine.memoryBytes)} RAM, ${machine.disk}, Linux ${machine.kernel}, node ${machine.node}; ` +
        `load average ${machine.loadAverage.toFixed(2)} at start, ${loadAverageAtEnd.toFixed(2)} at end` +
        (Math.max(machine.loadAverage, loadAverageAtEnd) > machine.cpus / 2 ? ' (busy: figures are noisy)' : '') +
        '\n\n',
    )
    process.stdout.write(formatTable(results) + '\n\n')
    process.stdout.write(
      JSON.stringify({ bench: 'snapdelta', quick: options.quick, seconds: secondsSince(start), machine, loadAverageAtEnd, items: results }) + '\n',
    )
  } finally {
    await cleanUp()
  }
  return results.some((r) => r.status === 'error') ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  },
)
