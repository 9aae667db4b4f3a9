// Pascal VOC / CVAT colour masks: a folder of PNGs (SegmentationClass) whose pixel colours name
// classes through `labelmap.txt` (CVAT's `name:r,g,b:parts:actions` lines). Each colour becomes
// the index of its class (matched by name; a new name prefers its line's position, VOC's own
// numbering). A PNG whose every pixel is grey (R = G = B) with values the labelmap does not list is
// read as class indices, and the summary says so; any other unknown colour is a problem naming the
// file and the colours, and that file is not written.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import { LockstepError } from '../../../shared/errors'
import { MAX_INPUT_PIXELS } from '../../io'
import { readIhdr } from '../../io/png'
import { listFiles } from '../pairing'
import type { ReadResult } from './types'

export interface LabelmapEntry {
  name: string
  rgb: [number, number, number]
  line: number
}

/** Parses labelmap.txt; every problem is listed with its line, and any problem refuses the file. */
export function parseLabelmap(text: string, source: string): LabelmapEntry[] {
  const out: LabelmapEntry[] = []
  const problems: string[] = []
  const colours = new Map<number, string>()
  text.split(/\r?\n/).forEach((raw, n) => {
    const line = raw.trim()
    if (!line || line.startsWith('#')) return
    const fields = line.split(':')
    const name = fields[0].trim()
    const rgb = (fields[1] ?? '').split(',').map((v) => Number(v.trim()))
    if (!name) problems.push(`line ${n + 1}: no class name`)
    else if (rgb.length !== 3 || !rgb.every((v) => Number.isInteger(v) && v >= 0 && v <= 255) || !(fields[1] ?? '').trim()) {
      problems.push(`line ${n + 1}: the colour ${JSON.stringify(fields[1] ?? '')} of ${name} is not r,g,b with 0..255`)
    } else {
      const key = (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]
      const same = colours.get(key)
      if (same) problems.push(`line ${n + 1}: ${name} has the colour ${rgb.join(',')} of ${same}`)
      colours.set(key, name)
      out.push({ name, rgb: rgb as [number, number, number], line: n + 1 })
    }
  })
  if (problems.length) throw new LockstepError('INVALID_INPUT', `${source} has ${problems.length} problem(s): ${problems.join('; ')}`, { problems })
  if (!out.length) throw new LockstepError('INVALID_INPUT', `${source} lists no class (expected lines like background:0,0,0::)`)
  return out
}

/** The labelmap a VOC folder uses: the one given, else labelmap.txt in the folder or its parent. */
export function findLabelmap(folder: string, given?: string): string {
  if (given) return given
  const tries = [join(folder, 'labelmap.txt'), join(dirname(folder), 'labelmap.txt')]
  const found = tries.find((f) => existsSync(f))
  if (!found) throw new LockstepError('NOT_FOUND', `No labelmap.txt for ${folder} (looked for ${tries.join(' and ')}); give its path`)
  return found
}

interface Decoded {
  width: number
  height: number
  rgb: Buffer
  channels: number
  /** the PNG's own colour type (2 = RGB): a grey-valued RGB mask is noted as such */
  colorType: number | null
}

async function decodeRgb(file: string): Promise<Decoded> {
  const head = readFileSync(file).subarray(0, 33)
  const { data, info } = await sharp(file, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, rgb: data, channels: info.channels, colorType: readIhdr(head)?.colorType ?? null }
}

export function readVoc(folder: string, labelmapPath?: string): ReadResult {
  const mapFile = findLabelmap(folder, labelmapPath)
  let text: string
  try {
    text = readFileSync(mapFile, 'utf8')
  } catch (err) {
    throw new LockstepError('UNREADABLE', `Cannot read ${mapFile}: ${(err as Error).message}`)
  }
  const entries = parseLabelmap(text, mapFile)
  const byColour = new Map(entries.map((e, i) => [(e.rgb[0] << 16) | (e.rgb[1] << 8) | e.rgb[2], { name: e.name, preferred: i }]))
  const out: ReadResult = { items: [], files: 0, problems: [], notes: [] }
  const grey = { rgb: 0, png: 0 }
  const pngs = listFiles(folder).filter((f) => /\.png$/i.test(f))
  for (const rel of pngs) {
    const file = join(folder, ...rel.split('/'))
    out.files++
    out.items.push({
      file,
      image: { stem: rel.replace(/\.png$/i, '') },
      names: entries.map((e, i) => ({ name: e.name, preferred: i })),
      async paint(canvas, indexOf) {
        let d: Decoded
        try {
          d = await decodeRgb(file)
        } catch (err) {
          throw new Error(`cannot read the PNG: ${(err as Error).message.trim()}`, { cause: err })
        }
        if (d.width !== canvas.width || d.height !== canvas.height)
          throw new Error(`the PNG is ${d.width}x${d.height} but the image is ${canvas.width}x${canvas.height}`)
        const value = new Map([...byColour].map(([k, c]) => [k, indexOf(c.name)]))
        const unknown = new Map<number, number>()
        let allGrey = true
        const n = d.width * d.height
        for (let i = 0, j = 0; i < n; i++, j += d.channels) {
          const r = d.rgb[j],
            g = d.rgb[j + 1],
            b = d.rgb[j + 2]
          if (r !== g || g !== b) allGrey = false
          const v = value.get((r << 16) | (g << 8) | b)
          if (v === undefined) unknown.set((r << 16) | (g << 8) | b, (unknown.get((r << 16) | (g << 8) | b) ?? 0) + 1)
          else canvas.data[i] = v
        }
        if (!unknown.size) return
        if (allGrey) {
          for (let i = 0, j = 0; i < n; i++, j += d.channels) canvas.data[i] = d.rgb[j]
          if (d.colorType === 2 || d.colorType === 6) grey.rgb++
          else grey.png++
          return
        }
        const list = [...unknown].sort((p, q) => q[1] - p[1])
        const shown = list.slice(0, 5).map(([k, c]) => `(${k >> 16},${(k >> 8) & 255},${k & 255}) ${c.toLocaleString('en-US')} px`)
        throw new Error(`${list.length} colour(s) are not in ${mapFile}: ${shown.join(', ')}${list.length > 5 ? ', ...' : ''}; add them to the labelmap`)
      },
    })
  }
  out.lateNotes = () => [
    ...(grey.rgb ? [`${grey.rgb} grey-valued RGB mask(s) (R = G = B) with values not in the labelmap were read as class indices (grey levels)`] : []),
    ...(grey.png ? [`${grey.png} grey PNG(s) with values not in the labelmap were read as class indices`] : []),
  ]
  return out
}
