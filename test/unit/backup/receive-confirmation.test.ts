// The receiver's JSON summary is the only proof a remote backup took the stream.
import { confirmReceived, remoteReceiveCommand, shellQuote } from '../../../src/backup/receive-confirmation'
import { ExternalCommandError, IncompleteStreamError } from '../../../src/errors'
import { buildChunkRuns } from '../../../src/map/chunk-runs'
import { headerForRuns } from '../../../src/stream/stream-format'

const header = headerForRuns(buildChunkRuns(new Float64Array([0, 5]), 2, 4096, 1 << 20))
const summary = (changes: Record<string, unknown> = {}) =>
  JSON.stringify({ target: 'backup.img', header: { identity: header.identity.toString('hex') }, records: header.records, bytesWritten: header.changedBytes, seconds: 0.1, ...changes })

test('the remote command ends options before TARGET and quotes it for the remote shell', () => {
  expect(remoteReceiveCommand('--version')).toBe('snapdelta receive --json --quiet -- --version')
  expect(remoteReceiveCommand("it's here")).toBe(`snapdelta receive --json --quiet -- 'it'\\''s here'`)
  expect(shellQuote('/dev/vg0/backup')).toBe('/dev/vg0/backup')
})

test('a summary that matches the stream sent is the confirmation', () => {
  expect(confirmReceived(summary(), header, 'backup.img', 'ssh')).toEqual({
    target: 'backup.img',
    identityHex: header.identity.toString('hex'),
    records: header.records,
    bytesWritten: 8192,
  })
})

test.each([
  ['nothing', ''],
  ['the version', '0.1.0\n'],
  ['JSON without the fields', '{"ok":true}'],
])('stdout with %s is no confirmation (ExternalCommandError)', (_what, stdout) => {
  expect(() => confirmReceived(stdout, header, 'backup.img', 'ssh')).toThrow(ExternalCommandError)
})

test.each([
  ['another identity', { header: { identity: 'ff'.repeat(32) } }, /identityHex "ff/],
  ['fewer bytes', { bytesWritten: 4096 }, /bytesWritten 4096, expected 8192/],
  ['fewer records', { records: 0 }, /records 0, expected 2/],
  ['another target', { target: 'other.img' }, /target "other.img", expected "backup.img"/],
])('a summary with %s is an incomplete backup (IncompleteStreamError)', (_what, changes, message) => {
  const run = () => confirmReceived(summary(changes), header, 'backup.img', 'ssh')
  expect(run).toThrow(IncompleteStreamError)
  expect(run).toThrow(message)
})
