// What each annotation reader (labelme, COCO, VOC/CVAT) hands the import: one item per image,
// naming the image as the file does, its size when the file says it, the class names it uses,
// and how to paint it onto a label map once the names have class indices.
import type { Canvas } from './raster'

export interface ImageRef {
  /** absolute path of the image, when the annotation names it relative to itself (labelme) */
  abs?: string
  /** the image's path as written in the annotation (COCO file_name), '/'-separated */
  rel?: string
  /** the name stem to fall back on (a VOC PNG's path without extension; a labelme JSON's) */
  stem?: string
}

export interface AnnotationItem {
  /** the annotation file (named in problems) */
  file: string
  /** what the item is within the file, for messages (e.g. 'image 17 (a.jpg)'); default: the file */
  what?: string
  image: ImageRef
  /** the image size the annotation declares (checked against the catalog's) */
  size?: { width: number; height: number }
  /** class names used, with the index a format prefers for a new one (COCO ids, labelmap order) */
  names: { name: string; preferred?: number }[]
  /**
   * Paints the annotations onto a canvas of the image's size (class 0 where nothing is). Throws
   * an Error saying what is wrong with the data (the import names the file).
   */
  paint(canvas: Canvas, indexOf: (name: string) => number): Promise<void> | void
}

export interface ReadResult {
  items: AnnotationItem[]
  /** annotation files read (or that failed to read) */
  files: number
  problems: { file: string; message: string }[]
  notes: string[]
  /** notes known only once the items are painted (e.g. how many masks were grey-valued) */
  lateNotes?(): string[]
}

export type Counter = Map<string, number>

export function bump(c: Counter, key: string, n = 1): void {
  c.set(key, (c.get(key) ?? 0) + n)
}
