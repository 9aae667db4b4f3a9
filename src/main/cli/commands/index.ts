// Every subcommand, in the order `lockstep --help` lists them. A command's module loads only when
// it runs, so `lockstep export` does not pay start-up time for the server's or the catalog's imports.
import type { CommandEntry } from '../command'

export const commands: CommandEntry[] = [
  { name: 'init', summary: 'create a project folder to import datasets into', load: async () => (await import('./init')).initCommand },
  { name: 'serve', summary: 'serve the studio to a browser on 127.0.0.1 (browser mode)', load: async () => (await import('./serve')).serveCommand },
  {
    name: 'export',
    summary: 'write augmented epochs as folders, NumPy batches or WebDataset shards',
    load: async () => (await import('./export')).exportCommand,
  },
  {
    name: 'stream',
    summary: 'serve augmented batches to training processes on this machine (socket or 127.0.0.1)',
    load: async () => (await import('./stream')).streamCommand,
  },
  {
    name: 'merge',
    summary: 'check the shard folders of an export (--shard i/n) and assemble the whole export',
    load: async () => (await import('./merge')).mergeCommand,
  },
  { name: 'replay', summary: 'reproduce one exported output byte-for-byte from its manifest line', load: async () => (await import('./replay')).replayCommand },
  {
    name: 'import',
    summary: 'catalog image/mask folders into a project (re-run to re-scan or resume)',
    load: async () => (await import('./import')).importCommand,
  },
  { name: 'split', summary: 'seeded random train/val/test split, optionally stratified by class', load: async () => (await import('./split')).splitCommand },
  {
    name: 'ls',
    summary: 'list samples of a project with filters (split, tag, status, class, error, path)',
    load: async () => (await import('./ls')).lsCommand,
  },
  { name: 'stats', summary: 'featurewise mean/std and per-class pixel/sample counts of a split', load: async () => (await import('./stats')).statsCommand },
  {
    name: 'preview',
    summary: 'render K augmented versions of a pair, with mask overlays and plans',
    load: async () => (await import('./preview')).previewCommand,
  },
  {
    name: 'annotations import',
    summary: "rasterise labelme, COCO or VOC/CVAT annotations into the project's masks",
    load: async () => (await import('./annotations')).annotationsImportCommand,
  },
  {
    name: 'classes remap',
    summary: 'rewrite class indices in every mask (merge, move to ignore), versioned and undoable',
    load: async () => (await import('./classes')).classesRemapCommand,
  },
  {
    name: 'classes export',
    summary: 'print the class table as JSON or CSV (what the palette import reads)',
    load: async () => (await import('./classes')).classesExportCommand,
  },
  { name: 'mask versions', summary: "list the kept earlier contents of a sample's mask", load: async () => (await import('./mask')).maskVersionsCommand },
  {
    name: 'mask prune',
    summary: 'remove kept mask versions (keep the newest N, or those younger than DAYS)',
    load: async () => (await import('./mask')).maskPruneCommand,
  },
  {
    name: 'mask restore',
    summary: "make a kept version a sample's mask again (itself versioned)",
    load: async () => (await import('./mask')).maskRestoreCommand,
  },
  {
    name: 'recipe convert',
    summary: 'convert a recipe between Lockstep and Albumentations JSON',
    load: async () => (await import('./recipe-convert')).recipeConvertCommand,
  },
]
