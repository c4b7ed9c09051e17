#!/usr/bin/env node
'use strict'
// Table reads keep many O_DIRECT reads in flight and the mount serves readers
// in parallel; libuv's default pool of 4 threads would serialise them.
process.env.UV_THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE || '16'
require('../dist/cli/main.js').main(process.argv)
