// sharp, loaded on first use: loading it (libvips and its modules) takes about 60 ms, which an
// export whose every image the native decoders and encoder take (io/native) never needs to pay.
import type SharpModule from 'sharp'

export type SharpFn = typeof SharpModule

let loading: Promise<SharpFn> | null = null

export function loadSharp(): Promise<SharpFn> {
  loading ??= import('sharp').then((m) => {
    // libvips' operation cache (by default up to 100 operations and 50 MB, process-wide) never hits
    // here: every pipeline reads a Buffer read for it (or a file once), so it only held finished
    // images' memory, and each decode then wrote to fresh pages (a no-addon export: 7 % less CPU
    // in a region decode + encode, 1024x768 sources)
    m.default.cache(false)
    return m.default
  })
  return loading
}
