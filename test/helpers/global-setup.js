// Names this jest run, so its scratch directories (test/helpers/tmp.ts) and the
// global teardown's clean-up concern this run only, not another one running
// on the same machine.
module.exports = async function globalSetup() {
  process.env.SNAPDELTA_TEST_RUN = `${process.pid}`
}
