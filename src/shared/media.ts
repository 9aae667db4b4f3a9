// Media travels by URL, never by message. The same paths are served by the Electron protocol
// (`lockstep-media://media/...`) and by browser mode's HTTP server (`/media/...`).
//
//   /media/sample/{id}/image          the image, displayable by a browser (EXIF-oriented; TIFF re-encoded)
//   /media/sample/{id}/labels         the mask as raw class indices (see LabelsHeaders)
//   /media/sample/{id}/thumb          JPEG thumbnail (longest side 256), cached on disk by content hash
//   /media/sample/{id}/thumb-overlay  the same with the mask overlaid in class colours
//   /media/preview/{token}/{index}/image    one rendered preview tile's image (PNG)
//   /media/preview/{token}/{index}/labels   its mask, raw class indices
//
// `labels` bodies are little-endian Uint8 (depth 8) or Uint16 (depth 16) arrays of width*height,
// with these response headers:
export const LabelsHeaders = {
  width: 'x-lockstep-width',
  height: 'x-lockstep-height',
  depth: 'x-lockstep-depth',
} as const

export const mediaPath = {
  sampleImage: (id: number) => `/media/sample/${id}/image`,
  sampleLabels: (id: number) => `/media/sample/${id}/labels`,
  sampleThumb: (id: number, overlay = false) => `/media/sample/${id}/${overlay ? 'thumb-overlay' : 'thumb'}`,
  previewImage: (token: string, index: number) => `/media/preview/${token}/${index}/image`,
  previewLabels: (token: string, index: number) => `/media/preview/${token}/${index}/labels`,
}

export type MediaRoute =
  | { kind: 'sample'; id: number; what: 'image' | 'labels' | 'thumb' | 'thumb-overlay' }
  | { kind: 'preview'; token: string; index: number; what: 'image' | 'labels' }

/** Parses a media path; anything else (traversal, unknown shape) is undefined and must get a 404. */
export function parseMediaPath(path: string): MediaRoute | undefined {
  const clean = path.split('?')[0]
  let m = /^\/media\/sample\/(\d{1,15})\/(image|labels|thumb|thumb-overlay)$/.exec(clean)
  if (m) return { kind: 'sample', id: Number(m[1]), what: m[2] as 'image' }
  m = /^\/media\/preview\/([A-Za-z0-9_-]{1,64})\/(\d{1,6})\/(image|labels)$/.exec(clean)
  if (m) return { kind: 'preview', token: m[1], index: Number(m[2]), what: m[3] as 'image' }
  return undefined
}
