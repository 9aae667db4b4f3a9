// Words the contract's schemas are built from, in a module without zod: a door that only needs
// the vocabulary (the CLI checking --split or --format) does not build every channel's schema.

export const SPLITS = ['train', 'val', 'test', 'unassigned'] as const
export type Split = (typeof SPLITS)[number]

export const EXPORT_FORMATS = ['folders', 'npy', 'webdataset'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]
export const IMAGE_FORMATS = ['png', 'jpeg', 'webp'] as const
export type ImageFormat = (typeof IMAGE_FORMATS)[number]

/** Mask file name patterns tried in order in the two-folder layout (images/ and masks/). */
export const DEFAULT_MASK_PATTERNS = ['{stem}.png', '{stem}_mask.png', '{stem}_label.png']
/** The one-folder layout cannot use '{stem}.png' (it would be the image itself). */
export const DEFAULT_SINGLE_FOLDER_PATTERNS = ['{stem}_mask.png', '{stem}_label.png']
