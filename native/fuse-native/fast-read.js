// snapdelta's native read path (fast-read*.c), from the same addon index.js
// loads: Node keeps one instance of a .node file, so both share its state.
const binding = require('node-gyp-build')(__dirname)

module.exports = {
  describe: binding.fastReadDescribe,
  forget: binding.fastReadForget,
  stats: binding.fastReadStats,
  setLog: binding.fastReadSetLog
}
