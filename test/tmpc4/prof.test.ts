import { it } from 'vitest'
import { nativeOpKernels } from '../../src/main/io/native'
import { claheRgb } from '../../src/main/augment/ops/histogram'
import { randomRgb } from '../support/cv2'

it('prof', () => {
  const k = nativeOpKernels()!
  const img = randomRgb(512, 512, 3)
  const lut = Uint8Array.from({ length: 256 }, (_, v) => (v * 7 + 3) % 256)
  const hl = Uint8Array.from({ length: 256 }, (_, v) => (v + 10) % 180)
  const time = (name: string, f: (d: Uint8Array) => void) => {
    const ts: number[] = []
    for (let r = 0; r < 30; r++) { const d = img.slice(); const t = process.cpuUsage(); f(d); const c = process.cpuUsage(t); ts.push((c.user + c.system) / 1000) }
    ts.sort((a, b) => a - b)
    console.log(name.padEnd(24), ts[15].toFixed(3))
  }
  time('greySum', (d) => k.opGreySum(d, lut))
  time('saturation', (d) => k.opSaturation(d, 1.3, lut))
  time('hsvMap hue pre', (d) => k.opHsvMap(d, hl, null, null, lut))
  time('hsvMap hue', (d) => k.opHsvMap(d, hl, null, null))
  time('lut3', (d) => k.opLut3(d, lut, lut, lut))
  time('hueQ', (d) => k.opHueQ(d, 12345))
  time('clahe native', (d) => k.opClahe(d, 512, 512, 2, 8))
  time('claheRgb', (d) => claheRgb({ data: d, width: 512, height: 512 }, 2, 8))
  time('slice', (d) => d.slice())
}, 60000)
