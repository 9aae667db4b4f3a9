// The image's own pixels (as the browser shows them, EXIF orientation applied), for the wand and
// box assist: decoded once per sample on first use.
import type { Rgba } from './fill'

export async function loadImagePixels(url: string, signal?: AbortSignal): Promise<Rgba> {
  const res = await fetch(url, { signal })
  if (!res.ok) throw new Error(`Could not load the image for the wand (HTTP ${res.status})`)
  const bitmap = await createImageBitmap(await res.blob())
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height)
    const ctx = canvas.getContext('2d', { willReadFrequently: true })
    if (!ctx) throw new Error('No 2D canvas to read the image pixels')
    ctx.drawImage(bitmap, 0, 0)
    const img = ctx.getImageData(0, 0, bitmap.width, bitmap.height)
    return { width: img.width, height: img.height, data: img.data }
  } finally {
    bitmap.close()
  }
}
