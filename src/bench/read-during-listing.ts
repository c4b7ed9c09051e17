// Whether one reader's latency depends on another's: a dd of full.img timed
// alone, and while `ls changed/` of a large listing runs again and again in
// the background (every ls is a readdir the server answers in JS).
import { ChildProcess, spawn } from 'child_process'
import path from 'path'
import { BenchContext } from './context'
import { ddRead } from './shell'

const ROUNDS = 3

export interface ReadDuringListing {
  /** Seconds of each dd, alone and during the listings. */
  alone: number[]
  duringListing: number[]
  /** How many listings completed while the dd ran, over all rounds. */
  listings: number
}

/** Times `dd` of full.img (`operands`) alone and during `ls changed/` in a loop, cold, interleaved. */
export async function timeReadDuringListing(context: BenchContext, genDir: string, operands: readonly string[]): Promise<ReadDuringListing> {
  const result: ReadDuringListing = { alone: [], duringListing: [], listings: 0 }
  const fullImg = path.join(genDir, 'full.img')
  for (let round = 0; round < ROUNDS; round++) {
    await context.coldCache()
    result.alone.push(await ddRead(fullImg, operands))
    await context.coldCache()
    const lister = listInLoop(path.join(genDir, 'changed'))
    // Let the first readdir begin before the read starts.
    await new Promise((resolve) => setTimeout(resolve, 100))
    result.duringListing.push(await ddRead(fullImg, operands))
    result.listings += await stop(lister)
  }
  return result
}

function listInLoop(dir: string): ChildProcess {
  return spawn('bash', ['-c', `n=0; trap 'echo $n; exit 0' TERM; while :; do ls ${dir} > /dev/null; n=$((n + 1)); done`], { stdio: ['ignore', 'pipe', 'inherit'] })
}

// The loop prints how many listings it finished when told to stop.
function stop(lister: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    let out = ''
    lister.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    lister.on('exit', () => resolve(Number(out.trim()) || 0))
    lister.kill('SIGTERM')
  })
}
