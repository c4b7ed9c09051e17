// The receiver's JSON summary is the only proof a remote backup took the stream.
import { confirmReceived, remoteReceiveCommand, shellQuote } from '../../../src/backup/receive-confirmation'
import { ExternalCommandError, IncompleteStreamError } from '../../../src/errors'
import { buildChunkRuns } from '../../../src/map/chunk-runs'
import { headerForRuns } from '../../../src/stream/stream-format'

const header = headerForRuns(buildChunkRuns(new Float64Array([0, 5]), 2, 4096, 1 << 20))
const summary = (changes: Record<string, unknown> = {}) =>
  JSON.stringify({ target: 'backup.img', header: { identity: header.identity.toString('hex') }, records: header.records, bytesWritten: header.changedBytes, seconds: 0.1, ...changes })

test('the remote command ends options before TARGET and quotes it for the remote shell', () => {
  expect(remoteReceiveCommand('--version', null)).toBe('snapdelta receive --json --quiet -- --version')
  expect(remoteReceiveCommand("it's here", null)).toBe(`snapdelta receive --json --quiet -- 'it'\\''s here'`)
  expect(remoteReceiveCommand('/dev/sdb', { dir: '/var/lib/snap delta/h', keep: 3 })).toBe(
    `snapdelta receive --json --quiet --history='/var/lib/snap delta/h' --keep 3 --full-restarts-history -- /dev/sdb`,
  )
  expect(shellQuote('/dev/vg0/backup')).toBe('/dev/vg0/backup')
})

test('a summary that matches the stream sent is the confirmation', () => {
  expect(confirmReceived(summary(), header, 'backup.img', 'ssh', null)).toEqual({
    target: 'backup.img',
    identityHex: header.identity.toString('hex'),
    records: header.records,
    bytesWritten: 8192,
    alreadyHeld: false,
    history: null,
  })
})

const history = { dir: '/h', seq: 4, created: false, pruned: 1 }

test('with a history asked for, the summary must name it; "already held" with nothing written confirms a re-run', () => {
  expect(confirmReceived(summary({ history }), header, 'backup.img', 'ssh', { dir: '/h', keep: 2 })).toMatchObject({ history, alreadyHeld: false })
  const held = summary({ history, alreadyHeld: true, records: 0, bytesWritten: 0 })
  expect(confirmReceived(held, header, 'backup.img', 'ssh', { dir: '/h', keep: 2 })).toMatchObject({ alreadyHeld: true, bytesWritten: 0 })
  // Without a history asked for, nothing can vouch for a target already holding the stream.
  expect(() => confirmReceived(held, header, 'backup.img', 'ssh', null)).toThrow(IncompleteStreamError)
  // A receiver that kept no history (an old snapdelta ignoring the option would not get this far, but a wrapper might).
  expect(() => confirmReceived(summary(), header, 'backup.img', 'ssh', { dir: '/h', keep: 2 })).toThrow(/historyDir null, expected "\/h"/)
})

test.each([
  ['nothing', ''],
  ['the version', '0.1.0\n'],
  ['JSON without the fields', '{"ok":true}'],
])('stdout with %s is no confirmation (ExternalCommandError)', (_what, stdout) => {
  expect(() => confirmReceived(stdout, header, 'backup.img', 'ssh', null)).toThrow(ExternalCommandError)
})

test.each([
  ['another identity', { header: { identity: 'ff'.repeat(32) } }, /identityHex "ff/],
  ['fewer bytes', { bytesWritten: 4096 }, /bytesWritten 4096, expected 8192/],
  ['fewer records', { records: 0 }, /records 0, expected 2/],
  ['another target', { target: 'other.img' }, /target "other.img", expected "backup.img"/],
])('a summary with %s is an incomplete backup (IncompleteStreamError)', (_what, changes, message) => {
  const run = () => confirmReceived(summary(changes), header, 'backup.img', 'ssh', null)
  expect(run).toThrow(IncompleteStreamError)
  expect(run).toThrow(message)
})
