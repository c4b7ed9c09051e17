// The benchmark's results: one row per figure with its baseline and ratio,
// printed as a table, then all of it as one line of JSON.

export interface Figure {
  name: string
  value: number
  unit: string
  /** What the value is compared with, measured in the same run. */
  baseline?: { name: string; value: number }
  /** value / baseline.value. */
  ratio?: number
  /** The target, e.g. "<= 3 s", and whether this run met it. */
  target?: string
  met?: boolean
}

export interface ItemResult {
  item: string
  title: string
  status: 'ok' | 'skipped' | 'error'
  seconds: number
  figures: Figure[]
  notes: string[]
  error?: string
}

/** A figure compared with its baseline; `target` is checked by `meets` when given. */
export function figure(
  name: string,
  value: number,
  unit: string,
  extra: { baseline?: { name: string; value: number }; target?: string; meets?: (value: number, ratio: number | undefined) => boolean } = {},
): Figure {
  const ratio = extra.baseline && extra.baseline.value !== 0 ? value / extra.baseline.value : undefined
  return {
    name,
    value,
    unit,
    baseline: extra.baseline,
    ratio,
    target: extra.target,
    met: extra.meets ? extra.meets(value, ratio) : undefined,
  }
}

/** Rounds for display: 3 significant digits, no exponent. */
export function round3(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value)
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))))
  return value.toFixed(Math.min(digits, 6))
}

/** The human-readable table, one line per figure plus the notes of each item. */
export function formatTable(results: readonly ItemResult[]): string {
  const rows: string[][] = [['item', 'figure', 'value', 'baseline', 'ratio', 'target', 'met']]
  for (const r of results) {
    // A crash's first line only: its stack is in the JSON.
    if (r.status !== 'ok') rows.push([r.item, r.status.toUpperCase(), (r.error ?? r.notes.join('; ')).split('\n')[0], '', '', '', ''])
    for (const f of r.figures) {
      rows.push([
        r.item,
        f.name,
        `${round3(f.value)} ${f.unit}`,
        f.baseline ? `${round3(f.baseline.value)} ${f.unit} (${f.baseline.name})` : '',
        f.ratio === undefined ? '' : `${round3(f.ratio)}x`,
        f.target ?? '',
        f.met === undefined ? '' : f.met ? 'yes' : 'NO',
      ])
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)))
  const lines = rows.map((row) => row.map((cell, c) => (cell ?? '').padEnd(widths[c])).join('  ').trimEnd())
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '))
  const notes = results.flatMap((r) => r.notes.map((n) => `  [${r.item}] ${n}`))
  return [...lines, ...(notes.length ? ['', 'notes:', ...notes] : [])].join('\n')
}
