// Items 31-33 (issue 9): a delta stream received onto a backup that does not
// hold its base used to write silently, leaving a backup that is neither
// snapshot. A version-2 stream carries the SHA-256 of every range's old and
// new content; receive checks TARGET against it before the first write.
// What must hold: a wrong base or a tampered table is refused and TARGET
// stays byte-identical. (The check guards against mistakes and corruption;
// a forger who rewrites the header's checksums can strip the table or make
// any stream, as with version 1: streams are not signed.)
import { copyFileSync, readFileSync, writeFileSync } from 'fs'
import { createHash } from 'crypto'
import path from 'path'
import { Attack } from './attack'
import { snapdelta } from './attack-helpers'
import { writeCheckedStreams } from '../helpers/checked-streams'
import { scratchDir } from '../helpers/tmp'
import { streamHeaderBytes } from '../../src/stream/stream-format'

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')

// A scratch copy of `image` as TARGET; returns it and its hash.
function targetFrom(image: string, label: string): { target: string; before: string } {
  const target = path.join(scratchDir(label), 'backup.img')
  copyFileSync(image, target)
  return { target, before: sha256(target) }
}

export const attacks: Attack[] = [
  {
    item: 31,
    title: 'gen2 (snap2 -> snap3) received onto a backup holding base: exit 3 naming the run and "snap2" as the base needed, TARGET byte-identical',
    run: async () => {
      const streams = await writeCheckedStreams(scratchDir('item31'))
      const { target, before } = targetFrom(streams.fixture.base, 'item31-target')
      const result = await snapdelta(['receive', '--from', streams.gen2, target])
      expect(result.stderr).toMatch(/needs snap2 \(uuid LVM-fx-snap2\) as its base: the target .* holds neither that base's bytes nor the stream's new bytes in the run at byte \d+/)
      expect(result.exitCode).toBe(3)
      expect(sha256(target)).toBe(before)
    },
  },
  {
    item: 32,
    title: 'gen1 (snap1 -> snap2) replayed onto a backup already at snap3: exit 3, TARGET byte-identical',
    run: async () => {
      const streams = await writeCheckedStreams(scratchDir('item32'))
      const { target, before } = targetFrom(streams.fixture.origin, 'item32-target')
      const result = await snapdelta(['receive', '--from', streams.gen1, target])
      expect(result.exitCode).toBe(3)
      expect(result.stderr).toMatch(/needs snap1 \(uuid LVM-fx-snap1\) as its base/)
      expect(sha256(target)).toBe(before)
    },
  },
  {
    item: 33,
    title: "gen2's check table edited so that base's bytes pass (one entry's old hash replaced): exit 5 before any write, TARGET byte-identical",
    run: async () => {
      const streams = await writeCheckedStreams(scratchDir('item33'))
      const stream = readFileSync(streams.gen2)
      const base = readFileSync(streams.fixture.base)
      const tableAt = streamHeaderBytes(2)
      // Entry 0 made to say "old = what base holds there": the table's checksum no longer matches.
      const offset = Number(stream.readBigUInt64LE(tableAt))
      const length = Number(stream.readBigUInt64LE(tableAt + 8))
      createHash('sha256').update(base.subarray(offset, offset + length)).digest().copy(stream, tableAt + 16)
      const edited = path.join(scratchDir('item33-stream'), 'edited.stream')
      writeFileSync(edited, stream)
      const { target, before } = targetFrom(streams.fixture.base, 'item33-target')
      const result = await snapdelta(['receive', '--from', edited, target])
      expect(result.stderr).toMatch(/the check table fails its checksum: the stream is corrupted.*nothing was written/)
      expect(result.exitCode).toBe(5)
      expect(sha256(target)).toBe(before)
    },
  },
]
