// Words the contract's schemas are built from, in a module without zod: a door that only needs
// the vocabulary (the CLI checking --split or --format) does not build every channel's schema.

export const SPLITS = ['train', 'val', 'test', 'unassigned'] as const
export type Split = (typeof SPLITS)[number]

export const EXPORT_FORMATS = ['folders', 'npy', 'webdataset'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]
export const IMAGE_FORMATS = ['png', 'jpeg', 'webp'] as const
export type ImageFormat = (typeof IMAGE_FORMATS)[number]
