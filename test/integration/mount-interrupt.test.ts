// Ctrl-C while `snapdelta mount` waits for its background server: the server
// is stopped too, and nothing stays mounted.
import { spawn } from 'child_process'
import { execFileSync } from 'child_process'
import { mkdirSync, readFileSync } from 'fs'
import path from 'path'
import { writeCowImage } from '../../src/cow/cow-writer'
import { CLI, runCommand } from '../helpers/cli'
import { scratchDir, removeScratchRoot } from '../helpers/tmp'

const dir = scratchDir('interrupt')
const mnt = path.join(dir, 'mnt')

afterAll(async () => {
  await runCommand('fusermount', ['-uz', mnt])
  removeScratchRoot()
})

function serversFor(mountpoint: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
  return out.split('\n').filter((line) => line.includes(mountpoint) && line.includes('--foreground'))
}

test('SIGINT before the mount is ready stops the server, mounts nothing, exits 130', async () => {
  mkdirSync(mnt)
  const cow = path.join(dir, 'cow.img')
  await writeCowImage(cow, { chunkSizeSectors: 8, oldChunks: [1] })
  // Opening a FIFO blocks until a writer comes: the server waits there, before mounting.
  const fifo = path.join(dir, 'snapshot.fifo')
  execFileSync('mkfifo', [fifo])
  const parent = spawn(process.execPath, [CLI, 'mount', mnt, '--cow', cow, '--snapshot', fifo], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  parent.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const deadline = Date.now() + 10_000
  while (serversFor(mnt).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  expect(serversFor(mnt).length).toBe(1)
  const exited = new Promise<number | null>((resolve) => parent.on('close', (code) => resolve(code)))
  parent.kill('SIGINT')
  expect(await exited).toBe(130)
  expect(stderr).toMatch(/interrupted by SIGINT before the mount was ready/)
  await new Promise((r) => setTimeout(r, 500))
  expect(serversFor(mnt)).toEqual([])
  expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(mnt)
})
