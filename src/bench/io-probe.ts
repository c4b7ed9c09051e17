// Preloaded into a snapdelta command the benchmark runs (node -r
// dist/bench/io-probe.js): at exit, writes the process's own I/O counters
// (/proc/self/io) and CPU time to the file SNAPDELTA_BENCH_IO names, so the
// benchmark can say how many bytes a command read and wrote, not only how long
// it took. rchar/wchar count every read/write call; read_bytes/write_bytes
// what reached the block layer.
import { readFileSync, writeFileSync } from 'fs'

const out = process.env.SNAPDELTA_BENCH_IO
if (out) {
  process.on('exit', () => {
    const counters: Record<string, number> = {}
    for (const line of readFileSync('/proc/self/io', 'utf8').trim().split('\n')) {
      const [key, value] = line.split(':')
      counters[key.trim()] = Number(value)
    }
    const usage = process.resourceUsage()
    writeFileSync(out, JSON.stringify({ ...counters, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6 }))
  })
}
