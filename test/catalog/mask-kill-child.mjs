// The child of mask-kill.test.ts: saves masks in a loop through the BUILT catalog (out/main/lib.js)
// until it is killed, printing "start K ID" before and "done K ID" after each save (stdout to a
// pipe is synchronous in Node on Linux, so a printed "done" is a save that returned).
// contentFor(k) is the label map of iteration k: unique per k (k in its first two pixels).
import { pathToFileURL } from 'node:url'

export const KW = 96
export const KH = 64

export function contentFor(k) {
  const out = new Uint8Array(KW * KH)
  for (let y = 0; y < KH; y++) for (let x = 0; x < KW; x++) out[y * KW + x] = ((x >> 3) + (y >> 3) + k) % 6
  out[0] = 10 + (k % 200)
  out[1] = 10 + Math.floor(k / 200)
  return out
}

async function main() {
  const [libPath, project, startText, idsText, stopAfter] = process.argv.slice(2)
  const { catalog: lib } = await import(pathToFileURL(libPath).href)
  const catalog = lib.Catalog.open(project)
  const ids = idsText.split(',').map(Number)
  const end = stopAfter ? Number(startText) + Number(stopAfter) : Infinity
  for (let k = Number(startText); k < end; k++) {
    const id = ids[k % ids.length]
    process.stdout.write(`start ${k} ${id}\n`)
    await lib.saveLabels(catalog, id, { width: KW, height: KH, depth: 8, data: contentFor(k) }, { baseHash: null, force: true })
    process.stdout.write(`done ${k} ${id}\n`)
  }
  catalog.close()
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`)
    process.exit(1)
  })
}
