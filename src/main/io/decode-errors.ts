// Turns whatever a decoder threw into a LockstepError that names the file and the problem. A
// decoder's own words are not repeated: libvips keeps one error buffer for all its threads, so its
// text can belong to another file decoded at the same moment ("bad Huffman code" for a file that
// is only cut short, or "Unknown error"). What is wrong with a file's data is said by the checks of
// io/verify, which every whole decode runs first and every partial read runs beside.
import { LockstepError, type ErrorCode } from '../../shared/errors'

export type Role = 'image' | 'mask'

export function decodeError(err: unknown, file: string, role: Role): LockstepError {
  if (err instanceof LockstepError) return err
  const msg = err instanceof Error ? err.message : String(err)
  const sys = (err as { code?: string }).code
  let code: ErrorCode
  let what: string
  if (sys === 'ENOENT' || /Input file is missing/i.test(msg)) {
    code = role === 'mask' ? 'MISSING_MASK' : 'MISSING_IMAGE'
    what = 'file not found'
  } else if (sys === 'ELOOP') {
    code = 'UNREADABLE'
    what = 'cannot be read: it is a symlink loop (ELOOP)'
  } else if (sys === 'EACCES' || sys === 'EISDIR' || sys === 'EIO') {
    code = 'UNREADABLE'
    what = `cannot read (${sys})`
  } else if (/exceeds pixel limit/i.test(msg)) {
    code = 'TOO_LARGE'
    what = `image dimensions exceed the ${MAX_INPUT_PIXELS.toLocaleString('en-US')}-pixel limit (decompression bomb guard)`
  } else if (/unsupported image format/i.test(msg)) {
    code = 'UNSUPPORTED_FORMAT'
    what = 'not a supported image (JPEG, PNG, WebP, TIFF)'
  } else {
    code = 'CORRUPT'
    what = 'corrupt or truncated (the decoder rejects its data)'
  }
  return new LockstepError(code, `${role === 'mask' ? 'Mask' : 'Image'} ${file}: ${what}`, { file, role })
}

/** Largest accepted image, in pixels (width x height): larger headers are refused before decoding. */
export const MAX_INPUT_PIXELS = 200_000_000
