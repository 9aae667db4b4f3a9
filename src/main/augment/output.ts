// The end of a render: the encodes (image and mask PNG side by side), and the
// result with what was asked for (encoded files, raw pixels, the labels alone).
import { encodeRgb } from '../io/image'
import { encodeLabelsPngAsync } from '../io/labels'
import type { Size } from './ops/types'
import type { Plan } from './plan'
import type { RenderedPair, RenderOptions } from './render'

/** The encodes and the result, around a rendered output image (its pixels, or already encoded) and the output's labels. */
export async function finish(
  plan: Plan,
  g: Size,
  px: Uint8Array | { encoded: Buffer },
  labels: Uint8Array | Uint16Array | null,
  depth: 8 | 16,
  out: RenderOptions,
): Promise<RenderedPair> {
  const { width: W, height: H } = g
  const fmt = out.image ?? { format: 'png' as const }
  const encoded = wantsEncoded(out)
  const rgb = px instanceof Uint8Array ? px : undefined
  const [image, mask] = await Promise.all([
    !encoded
      ? undefined
      : rgb
        ? encodeRgb(rgb, W, H, fmt.format, fmt.quality, (fmt as { compression?: number }).compression)
        : (px as { encoded: Buffer }).encoded,
    encoded && labels && out.mask !== false ? encodeLabelsPngAsync({ width: W, height: H, depth, data: labels }) : undefined,
  ])
  return assemble(plan, g, out, image, mask, out.raw ? rgb : undefined, labels, depth)
}

const wantsEncoded = (out: RenderOptions) => out.image !== undefined || !out.raw

/** The result both paths return: the encoded image, the mask PNG, raw pixels, labels, as asked. */
function assemble(
  plan: Plan,
  g: Size,
  out: RenderOptions,
  image: Buffer | undefined,
  mask: Buffer | undefined,
  rgb: Uint8Array | undefined,
  labels: Uint8Array | Uint16Array | null,
  depth: 8 | 16,
): RenderedPair {
  const { width, height } = g
  const r: RenderedPair = { plan }
  if (image) r.image = image
  if (mask) r.mask = mask
  if (rgb) r.raw = { image: rgb, labels, width, height, depth }
  if (out.labels && labels) r.labels = { width, height, depth, data: labels }
  return r
}
