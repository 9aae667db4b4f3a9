// sharp, loaded on first use: loading it (libvips and its modules) takes about 60 ms, which an
// export whose every image the native decoders and encoder take (io/native) never needs to pay.
import type SharpModule from 'sharp'

export type SharpFn = typeof SharpModule

let loading: Promise<SharpFn> | null = null

export function loadSharp(): Promise<SharpFn> {
  loading ??= import('sharp').then((m) => m.default)
  return loading
}
