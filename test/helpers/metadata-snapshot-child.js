// Holds a thin pool's metadata snapshot (dist/lvm/metadata-snapshot.js) until
// a signal arrives, for the signal tests of test/integration/thin-pool.test.ts.
// Usage: node metadata-snapshot-child.js VG POOL wait|delta [TMETA_LEFT_ID RIGHT_ID]
//   wait:  prints "held" and waits
//   delta: prints "held" and runs thin_delta -m on the pool's metadata again and again
// The fake LVM tools come from PATH and SNAPDELTA_FAKE_LVM, as set by the test.
'use strict'
const path = require('path')
const dist = path.join(__dirname, '..', '..', 'dist')
const { findThinPool } = require(path.join(dist, 'lvm', 'thin-pool.js'))
const { withMetadataSnapshot } = require(path.join(dist, 'lvm', 'metadata-snapshot.js'))
const { runThinDelta } = require(path.join(dist, 'thin', 'thin-delta-tool.js'))

const [vg, lv, mode] = process.argv.slice(2)

async function hold({ pool, signal }) {
  // Signal handlers do not keep a process alive: this does.
  setInterval(() => {}, 1000)
  process.stdout.write('held\n')
  if (mode === 'wait') return new Promise(() => {})
  for (;;) await runThinDelta({ metadataPath: pool.metadataDmPath, left: 2, right: 3, metadataSnapshot: true, signal })
}

findThinPool({ vg, lv })
  .then((pool) => withMetadataSnapshot(pool, hold))
  .catch((err) => {
    process.stderr.write(`${err.name}: ${err.message}\n`)
    process.exit(9)
  })
