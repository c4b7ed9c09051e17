// How many libuv threads snapdelta runs with. Table reads keep many O_DIRECT
// reads in flight, which libuv's default pool of 4 would serialise; but idle
// threads beyond what the cores can run cost the FUSE read path CPU (measured
// on 2 cores: 16 threads read full.img about 20% slower than 4 or 8).

/** Four threads a core, between 4 and 16. */
export function defaultThreadPoolSize(cores: number): number {
  return Math.min(16, Math.max(4, 4 * cores))
}
