// Words the contract's schemas are built from, in a module without zod: a door or the renderer
// that only needs the vocabulary (the CLI checking --split, the studio's filter lists) does not
// build every channel's schema. The one source of these lists; the contract re-exports them.
// (Export formats are not words but plug-ins: their registry is src/main/export/formats.ts.)

export const SPLITS = ['train', 'val', 'test', 'unassigned'] as const
export type Split = (typeof SPLITS)[number]

export const IMAGE_FORMATS = ['png', 'jpeg', 'webp'] as const
export type ImageFormat = (typeof IMAGE_FORMATS)[number]

export const REVIEW_STATUSES = ['unreviewed', 'accepted', 'rejected', 'needs-fix'] as const
export type ReviewStatus = (typeof REVIEW_STATUSES)[number]

/** Every problem a pair can have; the same words as the matching ErrorCode in shared/errors.ts. */
export const SAMPLE_ERROR_KINDS = [
  'MISSING_MASK', // image without mask
  'MISSING_IMAGE', // mask without image
  'SIZE_MISMATCH', // image and mask sizes differ (after EXIF orientation)
  'CORRUPT', // truncated or undecodable bytes
  'UNSUPPORTED_FORMAT', // not JPEG/PNG/WebP/TIFF (image) or PNG/TIFF (mask)
  'TOO_LARGE', // decompression bomb guard: more pixels than the limit
  'UNREADABLE', // exists but cannot be read (permissions, dangling link, I/O)
] as const
export type SampleErrorKind = (typeof SAMPLE_ERROR_KINDS)[number]
/** Mask file name patterns tried in order in the two-folder layout (images/ and masks/). */
export const DEFAULT_MASK_PATTERNS = ['{stem}.png', '{stem}_mask.png', '{stem}_label.png']
/** The one-folder layout cannot use '{stem}.png' (it would be the image itself). */
export const DEFAULT_SINGLE_FOLDER_PATTERNS = ['{stem}_mask.png', '{stem}_label.png']
