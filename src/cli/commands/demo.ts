// snapdelta demo: generated images and a live mount, for trying snapdelta without LVM.
import { Command } from 'commander'
import { spawnSync } from 'child_process'
import { promises as fsp } from 'fs'
import path from 'path'
import { writeDemoImages } from '../../demo/demo-images'
import { ExternalCommandError } from '../../errors'
import { printJson } from '../output'

interface DemoOptions {
  mount: boolean
  json?: boolean
}

/** Registers `snapdelta demo`. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .summary('try snapdelta on generated images, no LVM needed')
    .description(
      'Build a small origin with three snapshots and their COW devices as image files (kernel format), ' +
        'mount the two increments, and print what to try. Needs no LVM.',
    )
    .argument('[dir]', 'where to put the images and the mount point', 'snapdelta-demo')
    .option('--no-mount', 'only write the images')
    .option('--json', 'print the paths as JSON')
    .action(async (dirArg: string, opts: DemoOptions) => {
      const dir = path.resolve(dirArg)
      const images = await writeDemoImages(dir)
      const mnt = path.join(dir, 'mnt')
      if (opts.mount) {
        await fsp.mkdir(mnt, { recursive: true })
        const cli = path.join(__dirname, '..', '..', '..', 'bin', 'snapdelta.js')
        // The same command a user runs: the demo shows the real thing.
        const args = [cli, 'mount', mnt, '--cow', images.cow1, '--snapshot', images.snap2, '--name', 'gen1']
        args.push('--cow', images.cow2, '--snapshot', images.snap3, '--name', 'gen2')
        const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] })
        if (result.status !== 0) throw new ExternalCommandError(`snapdelta mount ${mnt} failed (exit ${result.status})`)
      }
      if (opts.json) {
        await printJson({ ...images, mountpoint: opts.mount ? mnt : null })
        return
      }
      process.stdout.write(demoText(dir, mnt, opts.mount))
    })
}

function demoText(dir: string, mnt: string, mounted: boolean): string {
  const rel = (p: string) => {
    const r = path.relative(process.cwd(), p)
    return r === '' ? '.' : r.startsWith('..') ? p : r
  }
  const d = rel(dir)
  const m = rel(mnt)
  const lines = [
    `Demo images in ${d}/ (32 MiB volume, 4 KiB chunks):`,
    `  snap1.img snap2.img snap3.img   three snapshots of one volume, oldest first`,
    `  cow1.img                        snap1's COW device: every chunk written after snap1, up to snap2`,
    `  cow2.img                        snap2's COW device: every chunk written after snap2, up to snap3`,
    `  backup.img                      your backup: a full copy of snap1`,
    '',
  ]
  if (!mounted) {
    lines.push(`Mount them with:  snapdelta mount ${m} --cow ${d}/cow1.img --snapshot ${d}/snap2.img --name gen1 \\`)
    lines.push(`                                  --cow ${d}/cow2.img --snapshot ${d}/snap3.img --name gen2`)
    return lines.join('\n') + '\n'
  }
  const tries: Array<[string, string]> = [
    [`ls -ls ${m}/gen1/`, 'full.img, delta.img (sparse), chunks.map, changed/, info.json, delta.stream, delta.bmap'],
    [`du -h ${m}/gen1/delta.img`, 'only the changed bytes are stored'],
    [`head ${m}/gen1/chunks.map`, 'OFFSET LENGTH of every changed run, in bytes'],
    [`ls ${m}/gen1/changed/ | head`, 'one file per run, named by its offset in hex'],
  ]
  const width = Math.max(...tries.map(([command]) => command.length)) + 3
  lines.push(
    `Mounted read-only at ${m}/: gen1 = snap1 -> snap2, gen2 = snap2 -> snap3. Try:`,
    ...tries.map(([command, what]) => `  ${command.padEnd(width)}${what}`),
    `  hexdump -C ${m}/gen1/changed/$(ls ${m}/gen1/changed/ | head -1) | head`,
    '',
    'Bring the backup from snap1 to snap2, then to snap3, copying only the changed runs with GNU dd:',
    `  for g in gen1 gen2; do`,
    `    grep -v '^#' ${m}/$g/chunks.map | while read -r off len _; do`,
    `      dd if=${m}/$g/delta.img of=${d}/backup.img bs=1M skip=$off seek=$off count=$len \\`,
    `         iflag=skip_bytes,count_bytes oflag=seek_bytes conv=notrunc status=none`,
    `    done`,
    `  done`,
    `  cmp ${d}/backup.img ${d}/snap3.img && echo "backup == snap3"`,
    '',
    'Or with snapdelta itself (README.md has every recipe: rsync, streams over ssh, bmaptool):',
    `  npx snapdelta apply ${m}/gen1 ${d}/backup.img && npx snapdelta verify ${m}/gen1 ${d}/backup.img`,
    '',
    `When done:  npx snapdelta umount ${m}`,
  )
  return lines.join('\n') + '\n'
}
