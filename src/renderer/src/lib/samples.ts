// Which of a pair's files the studio can show, from its catalog row: a pair whose image (or mask)
// is missing or unreadable gets a placeholder instead of a request that can only fail (a 404 or
// 422 in the console for every such tile).
import type { SampleErrorKind, SampleRow } from '@shared/contract/catalog'

const FILE_UNREADABLE: readonly SampleErrorKind[] = ['CORRUPT', 'UNSUPPORTED_FORMAT', 'TOO_LARGE', 'UNREADABLE']

/** The image decodes (a thumbnail and the full image can be served). */
export function imageViewable(row: Pick<SampleRow, 'imagePath' | 'error'>): boolean {
  const kind = row.error?.kind
  return !!row.imagePath && kind !== 'MISSING_IMAGE' && !(kind && FILE_UNREADABLE.includes(kind))
}

/** The mask decodes (class indices can be served and overlaid). */
export function maskViewable(row: Pick<SampleRow, 'maskPath' | 'error'>): boolean {
  const kind = row.error?.kind
  return !!row.maskPath && kind !== 'MISSING_MASK' && !(kind && FILE_UNREADABLE.includes(kind))
}
