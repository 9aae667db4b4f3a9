// The contract's word lists, from their one source (a module without zod, so the lists do not load
// the contract's schemas before the first paint). Export formats are plug-ins, not words: the
// Export view lists them from the registry through `export.formats`.
export { IMAGE_FORMATS, REVIEW_STATUSES, SAMPLE_ERROR_KINDS, SPLITS } from '@shared/contract/vocabulary'
