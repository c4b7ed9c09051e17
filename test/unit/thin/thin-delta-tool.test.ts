import { thinDeltaArgs } from '../../../src/thin/thin-delta-tool'
import { toThinId } from '../../../src/thin/thin-id'

const request = (metadataPath: string, metadataSnapshot: boolean) => ({ metadataPath, left: toThinId(2, 'l'), right: toThinId(3, 'r'), metadataSnapshot })

// The real tool's behaviour with these arguments is tested in test/integration/thin-delta.test.ts.
describe('thinDeltaArgs', () => {
  it('offline: no -m, and `--` before the path', () => {
    expect(thinDeltaArgs(request('/img/tmeta.img', false))).toEqual(['--snap1', '2', '--snap2', '3', '--', '/img/tmeta.img'])
  })

  it('live: -m alone (never followed by a separate block number), and `--` before a path that starts with "-"', () => {
    expect(thinDeltaArgs(request('-odd', true))).toEqual(['-m', '--snap1', '2', '--snap2', '3', '--', '-odd'])
  })
})
