// Types for catalog-data.mjs (used by test/catalog from TypeScript).
export function basePair(width?: number, height?: number): Promise<{ image: Buffer; mask: Buffer }>
export function writeManyPairs(root: string, count: number, options?: { perDir?: number; start?: number }): Promise<{ images: string; masks: string }>
