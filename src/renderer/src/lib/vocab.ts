// The contract's word lists, without importing the contract modules at run time: those build zod
// schemas, and zod (~380 KB) would then load before the first paint. The checks below make the
// type-check fail if a list here drifts from the contract's.
import type { ReviewStatus, SampleErrorKind, Split } from '@shared/contract/catalog'
import type { ExportFormat, ImageFormat } from '@shared/contract/export'

export const SPLITS = ['train', 'val', 'test', 'unassigned'] as const satisfies readonly Split[]
export const REVIEW_STATUSES = ['unreviewed', 'accepted', 'rejected', 'needs-fix'] as const satisfies readonly ReviewStatus[]
export const SAMPLE_ERROR_KINDS = ['MISSING_MASK', 'MISSING_IMAGE', 'SIZE_MISMATCH', 'CORRUPT', 'UNSUPPORTED_FORMAT', 'TOO_LARGE', 'UNREADABLE'] as const satisfies readonly SampleErrorKind[]
export const EXPORT_FORMATS = ['folders', 'npy', 'webdataset'] as const satisfies readonly ExportFormat[]
export const IMAGE_FORMATS = ['png', 'jpeg', 'webp'] as const satisfies readonly ImageFormat[]

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const complete: [
  Same<(typeof SPLITS)[number], Split>,
  Same<(typeof REVIEW_STATUSES)[number], ReviewStatus>,
  Same<(typeof SAMPLE_ERROR_KINDS)[number], SampleErrorKind>,
  Same<(typeof EXPORT_FORMATS)[number], ExportFormat>,
  Same<(typeof IMAGE_FORMATS)[number], ImageFormat>,
] = [true, true, true, true, true]
void complete
