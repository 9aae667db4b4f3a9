// The export area's public API (re-exported by src/main/lib.ts as `exporter`).
export { runExport, makeOrder, exportDescriptor, LOCKSTEP_VERSION, type ExportRunOptions, type ExportSummary, type ExportProgress } from './job'
export { ExportOrder, epochOrder, epochShape, type Slot } from './order'
export { catalogInputs, folderInputs, resolveRecipe } from './sources'
export { npyHeader } from './writers/npy'
export { tarHeader } from './writers/tar'
export type { SourcePair } from './types'
