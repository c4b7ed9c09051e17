// Item 8 (issue 10): building the map of a thin delta on pools of millions of
// mappings a device, against thin_delta alone on the same metadata: the
// `snapdelta map --thin-meta` command end to end, and runThinDelta +
// thinDeltaRuns in a fresh child process. snapdelta's own share on top of
// thin_delta must stay under half of thin_delta's time.
import path from 'path'
import { thinDeltaArgs } from '../../thin/thin-delta-tool'
import { toThinId } from '../../thin/thin-id'
import { BenchContext, BenchItem } from '../context'
import { SNAPDELTA } from '../mounts'
import { figure, Figure } from '../report'
import { runOk } from '../shell'
import { timeCommand, TimedCommand } from '../timed-command'
import { alternatingPattern, dailyChangesPattern } from '../thin-pool-pattern'
import { BENCH_DATA_BLOCK_SECTORS, BENCH_LEFT_ID, BENCH_RIGHT_ID, thinPoolInput, ThinPoolInput } from '../thin-pool-inputs'
import type { ThinMapChildResult } from '../thin-map-child'

// thin_delta, the command and the child are timed in this many interleaved rounds, best of each kept.
const ROUNDS = 3
const MiB = 1 << 20
const SHARE_TARGET = 0.5

interface Case {
  key: string
  label: string
  input: ThinPoolInput
  /** The target applies to the daily-changes pools; the alternating one is a worst case, reported only. */
  targeted: boolean
}

export const thinMap: BenchItem = {
  name: 'thin',
  title: 'Thin map from thin_delta',
  needs: ['map'],
  async run(context: BenchContext): Promise<Figure[]> {
    const cases: Case[] = []
    for (const mappings of context.sizes.thinMappings) {
      const key = `daily-${mappings}`
      cases.push({ key, label: `${countLabel(mappings)} mappings, daily changes`, input: await thinPoolInput(context, key, () => dailyChangesPattern(mappings, 10)), targeted: true })
    }
    const alternating = context.sizes.thinAlternatingMappings
    if (alternating > 0) {
      const key = `alternating-${alternating}`
      cases.push({ key, label: `${countLabel(alternating)} mappings, every other block`, input: await thinPoolInput(context, key, () => alternatingPattern(alternating)), targeted: false })
    }
    const figures: Figure[] = []
    for (const c of cases) figures.push(...(await measureCase(context, c)))
    // What every command pays before its work: the part of the command's share no pool size changes.
    const startups: number[] = []
    for (let round = 0; round < ROUNDS; round++) startups.push((await timeCommand(process.execPath, [SNAPDELTA, '--version'])).seconds)
    context.note(`starting snapdelta (--version: Node and every command's modules, programs cached) takes ${Math.min(...startups).toFixed(2)} s (best of ${ROUNDS})`)
    return figures
  },
}

async function measureCase(context: BenchContext, c: Case): Promise<Figure[]> {
  const { input } = c
  const toolArgs = thinDeltaArgs({ metadataPath: input.metadataPath, left: toThinId(BENCH_LEFT_ID, 'left'), right: toThinId(BENCH_RIGHT_ID, 'right'), metadataSnapshot: false })
  const mapArgs = [SNAPDELTA, 'map', '--thin-meta', input.metadataPath, '--from-id', String(BENCH_LEFT_ID), '--to-id', String(BENCH_RIGHT_ID), '--snapshot', input.snapshotPath]
  const tools: TimedCommand[] = []
  const commands: TimedCommand[] = []
  const children: ThinMapChildResult[] = []
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved, so a busy spell of the machine hits all three alike; the metadata stays in the page cache.
    tools.push(await timeCommand('thin_delta', toolArgs))
    commands.push(await timeCommand(process.execPath, mapArgs))
    children.push(await runChild(input))
  }
  checkMap(c, children[0])
  const tool = bestOf(tools)
  const command = bestOf(commands)
  const child = children.reduce((a, b) => (b.seconds < a.seconds ? b : a))
  const list = (values: number[]) => values.map((v) => v.toFixed(2)).join(', ')
  context.note(
    `${c.key}: ${ROUNDS} interleaved rounds, wall (CPU) s: thin_delta ${list(tools.map((t) => t.seconds))} (${list(tools.map((t) => t.cpuSeconds))}); ` +
      `snapdelta map ${list(commands.map((t) => t.seconds))} (${list(commands.map((t) => t.cpuSeconds))}, with thin_delta's); ` +
      `in-process ${list(children.map((t) => t.seconds))} (Node's own ${list(children.map((t) => t.cpuSeconds))}); ` +
      `${children[0].ranges} ranges listed, ${children[0].runs} runs, ${children[0].changedBytes} bytes, as drawn`,
  )
  const share = (value: number, base: number) => (value - base) / base
  const target = c.targeted ? { target: `< ${SHARE_TARGET * 100}%`, meets: (v: number) => v < SHARE_TARGET * 100 } : {}
  const toolBaseline = { name: 'thin_delta alone > /dev/null', value: tool.seconds }
  return [
    figure(`${c.label}: snapdelta map --thin-meta > /dev/null`, command.seconds, 's', { baseline: toolBaseline }),
    figure(`${c.label}: snapdelta's share on top of thin_delta, command`, 100 * share(command.seconds, tool.seconds), '%', target),
    figure(`${c.label}: runThinDelta + thinDeltaRuns in process`, child.seconds, 's', { baseline: toolBaseline }),
    figure(`${c.label}: snapdelta's share on top of thin_delta, in process`, 100 * share(child.seconds, tool.seconds), '%', target),
    figure(`${c.label}: CPU time of the command beyond thin_delta's`, command.cpuSeconds - tool.cpuSeconds, 's', {
      baseline: { name: "thin_delta's CPU time", value: tool.cpuSeconds },
    }),
    figure(`${c.label}: peak resident memory of the command`, command.peakResidentBytes / MiB, 'MiB', {
      baseline: { name: "thin_delta's", value: tool.peakResidentBytes / MiB },
    }),
    figure(`${c.label}: peak resident memory in process`, child.peakResidentBytes / MiB, 'MiB', {
      baseline: { name: 'the idle child', value: child.idleResidentBytes / MiB },
    }),
  ]
}

// The map must be the one the pattern was drawn for: changes never touch, so one run each.
function checkMap(c: Case, child: ThinMapChildResult): void {
  const { pattern } = c.input
  const changedBytes = pattern.changedBlocks * BENCH_DATA_BLOCK_SECTORS * 512
  if (child.runs !== pattern.changedSegments || child.changedBytes !== changedBytes) {
    throw new Error(`${c.key}: the map has ${child.runs} runs of ${child.changedBytes} bytes, expected ${pattern.changedSegments} runs of ${changedBytes} bytes as drawn`)
  }
}

function bestOf(runs: TimedCommand[]): TimedCommand {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a))
}

async function runChild(input: ThinPoolInput): Promise<ThinMapChildResult> {
  const child = path.join(__dirname, '..', 'thin-map-child.js')
  const ran = await runOk(process.execPath, [child, input.metadataPath, String(BENCH_LEFT_ID), String(BENCH_RIGHT_ID), String(input.snapshotBytes)])
  return JSON.parse(ran.stdout) as ThinMapChildResult
}

// "1M", "4M", "20k": the way of naming pool sizes.
function countLabel(n: number): string {
  if (n % 1_000_000 === 0) return `${n / 1_000_000}M`
  if (n % 1000 === 0) return `${n / 1000}k`
  return String(n)
}
