// Class colours: the catalog's table when it has one, else a fixed distinguishable palette.
const PALETTE = [
  '#000000',
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#ffe119',
  '#f58231',
  '#911eb4',
  '#46f0f0',
  '#f032e6',
  '#bcf60c',
  '#fabebe',
  '#008080',
  '#e6beff',
  '#9a6324',
  '#fffac8',
  '#800000',
  '#aaffc3',
  '#808000',
  '#ffd8b1',
  '#000075',
]

export function defaultClassColor(index: number): string {
  if (index === 255) return '#ffffff'
  return PALETTE[index % PALETTE.length]
}

export function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.replace('#', ''), 16)
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255]
}
