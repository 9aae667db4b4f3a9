// Image and mask I/O: decode (EXIF-oriented, bomb-guarded), labels as class indices, encode.
export * from './image'
export * from './labels'
export { decodeError, MAX_INPUT_PIXELS } from './decode-errors'
