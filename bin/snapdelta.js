#!/usr/bin/env node
'use strict'
// Must be set before anything uses libuv's thread pool; see src/io/thread-pool.ts.
const { defaultThreadPoolSize } = require('../dist/io/thread-pool.js')
process.env.UV_THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE || String(defaultThreadPoolSize(require('os').availableParallelism()))
require('../dist/cli/main.js').main(process.argv)
