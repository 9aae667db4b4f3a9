// The catalog's filter bar state and the query input it means. Pure, so it is tested alone.
import type { ReviewStatus, SampleErrorKind, SampleFilter, Split } from '@shared/contract/catalog'

export type ErrorFilter = 'all' | 'none' | 'any' | SampleErrorKind

export interface FilterState {
  splits: Split[]
  statuses: ReviewStatus[]
  tags: string[]
  notTags: string[]
  classPresent: number[]
  classAbsent: number[]
  error: ErrorFilter
  path: string
}

export function emptyFilter(): FilterState {
  return { splits: [], statuses: [], tags: [], notTags: [], classPresent: [], classAbsent: [], error: 'all', path: '' }
}

/** Only the constraints the user set; an empty state is `{}` (every sample). */
export function filterToQuery(f: FilterState): SampleFilter {
  const q: SampleFilter = {}
  if (f.splits.length) q.split = [...f.splits]
  if (f.statuses.length) q.status = [...f.statuses]
  if (f.tags.length) q.tags = [...f.tags]
  if (f.notTags.length) q.notTags = [...f.notTags]
  if (f.classPresent.length) q.classPresent = [...f.classPresent].sort((a, b) => a - b)
  if (f.classAbsent.length) q.classAbsent = [...f.classAbsent].sort((a, b) => a - b)
  if (f.error !== 'all') q.error = [f.error]
  const path = f.path.trim()
  if (path) q.pathContains = path
  return q
}

export function isFilterEmpty(f: FilterState): boolean {
  return Object.keys(filterToQuery(f)).length === 0
}

/** Toggles a value in a list (filter chips). */
export function toggle<T>(list: T[], value: T): T[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value]
}
