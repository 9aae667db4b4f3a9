// sharp, loaded on first use: loading it (libvips and its modules) takes about 60 ms, which an
// export whose every image the native decoders and encoder take (io/native) never needs to pay.
import { createRequire } from 'node:module'
import { isMainThread } from 'node:worker_threads'
import type SharpModule from 'sharp'

export type SharpFn = typeof SharpModule

let loading: Promise<SharpFn> | null = null

/**
 * sharp's own module. A worker thread (export, preview) loads nothing else of sharp, and there its
 * CommonJS build loads in about half the CPU of its ES module build (about 100 ms less per worker
 * here: the ES module loader lexes each CommonJS dependency, semver, detect-libc, colour, for its
 * exports). The main thread takes the ES module build, which the catalog's static imports of sharp
 * load anyway (one copy of sharp's JS per thread).
 */
function importSharp(): Promise<SharpFn> {
  if (isMainThread) return import('sharp').then((m) => m.default)
  return Promise.resolve().then(() => createRequire(import.meta.url)('sharp') as SharpFn)
}

export function loadSharp(): Promise<SharpFn> {
  loading ??= importSharp().then((sharp) => {
    // libvips' operation cache (by default up to 100 operations and 50 MB, process-wide) never hits
    // here: every pipeline reads a Buffer read for it (or a file once), so it only held finished
    // images' memory, and each decode then wrote to fresh pages (a no-addon export: 7 % less CPU
    // in a region decode + encode, 1024x768 sources)
    sharp.cache(false)
    return sharp
  })
  return loading
}
