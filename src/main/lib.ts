// A library entry (out/main/lib.js) for benchmark scripts and tools that drive the services
// without a door. Each area re-exports its public API here with one line.
export { Rng, rngFor, permutation } from './augment/rng'
export * as exporter from './export'
export * as engine from './augment'
export * as catalog from './catalog'
