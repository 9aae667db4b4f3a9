// Box assist off the UI thread: OpenCV.js's GrabCut proposes the object inside a box. OpenCV
// (about 10 MB of JS with its WebAssembly inside) is loaded on the first request only, from the
// URL the page passes, with importScripts: this is a classic worker and imports nothing.
import type { AssistReply, AssistRequest } from '../lib/labeling/assist-protocol'

interface Mat {
  data: Uint8Array
  rows: number
  cols: number
  delete(): void
}
/** The slice of OpenCV.js used here. */
interface Cv {
  Mat: { new (): Mat; new (rows: number, cols: number, type: number): Mat }
  Rect: new (x: number, y: number, w: number, h: number) => unknown
  Size: new (w: number, h: number) => unknown
  CV_8UC1: number
  CV_8UC4: number
  COLOR_RGBA2RGB: number
  INTER_AREA: number
  INTER_LINEAR: number
  GC_INIT_WITH_RECT: number
  cvtColor(src: Mat, dst: Mat, code: number): void
  resize(src: Mat, dst: Mat, size: unknown, fx: number, fy: number, interpolation: number): void
  grabCut(img: Mat, mask: Mat, rect: unknown, bgd: Mat, fgd: Mat, iterations: number, mode: number): void
  exceptionFromPtr?(ptr: number): { msg: string }
  onRuntimeInitialized?: () => void
}

const scope = self as unknown as {
  importScripts(url: string): void
  postMessage(msg: AssistReply, transfer?: Transferable[]): void
  onmessage: ((ev: MessageEvent<AssistRequest>) => void) | null
  cv?: Cv
}

// Resolves with a wrapper: the Emscripten module is a thenable, and resolving a promise with it
// directly never settles.
let loading: Promise<{ cv: Cv; ms: number }> | null = null
function loadCv(url: string): Promise<{ cv: Cv; ms: number }> {
  return (loading ??= new Promise((resolve, reject) => {
    const t0 = performance.now()
    try {
      scope.importScripts(url)
    } catch (err) {
      reject(new Error(`Could not load OpenCV.js from ${url}: ${err instanceof Error ? err.message : String(err)}`))
      return
    }
    const cv = scope.cv
    if (!cv) return reject(new Error(`OpenCV.js at ${url} did not define cv`))
    const done = () => resolve({ cv, ms: performance.now() - t0 })
    if (typeof (cv as unknown as { Mat?: unknown }).Mat === 'function') done()
    else cv.onRuntimeInitialized = done
  }))
}

function grabCut(cv: Cv, req: AssistRequest): Uint8Array {
  const { width, height, rect, iterations, maxSide } = req
  const mats: Mat[] = []
  const mat = (m: Mat) => (mats.push(m), m)
  try {
    const rgba = mat(new cv.Mat(height, width, cv.CV_8UC4))
    rgba.data.set(new Uint8Array(req.rgba))
    const rgb = mat(new cv.Mat())
    cv.cvtColor(rgba, rgb, cv.COLOR_RGBA2RGB)
    // GrabCut's cost grows with the pixel count: segment a copy no longer than maxSide, then scale the answer up
    const scale = Math.min(1, maxSide / Math.max(width, height))
    let work = rgb
    if (scale < 1) {
      work = mat(new cv.Mat())
      cv.resize(rgb, work, new cv.Size(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))), 0, 0, cv.INTER_AREA)
    }
    const sx = work.cols / width
    const sy = work.rows / height
    const rx = Math.max(0, Math.floor(rect.x * sx))
    const ry = Math.max(0, Math.floor(rect.y * sy))
    const r = new cv.Rect(rx, ry, Math.max(1, Math.min(work.cols - rx, Math.ceil(rect.w * sx))), Math.max(1, Math.min(work.rows - ry, Math.ceil(rect.h * sy))))
    const gc = mat(new cv.Mat())
    cv.grabCut(work, gc, r, mat(new cv.Mat()), mat(new cv.Mat()), iterations, cv.GC_INIT_WITH_RECT)
    // 1 = definite, 3 = probable foreground
    let fg = mat(new cv.Mat(work.rows, work.cols, cv.CV_8UC1))
    for (let i = 0; i < gc.data.length; i++) fg.data[i] = gc.data[i] === 1 || gc.data[i] === 3 ? 255 : 0
    if (scale < 1) {
      const big = mat(new cv.Mat())
      cv.resize(fg, big, new cv.Size(width, height), 0, 0, cv.INTER_LINEAR)
      fg = big
    }
    const out = new Uint8Array(width * height)
    for (let y = rect.y; y < rect.y + rect.h; y++) {
      for (let x = rect.x; x < rect.x + rect.w; x++) out[y * width + x] = fg.data[y * width + x] >= 128 ? 1 : 0
    }
    return out
  } finally {
    for (const m of mats) m.delete()
  }
}

function message(cv: Cv | null, err: unknown): string {
  if (typeof err === 'number' && cv?.exceptionFromPtr) return `OpenCV: ${cv.exceptionFromPtr(err).msg}`
  return err instanceof Error ? err.message : String(err)
}

scope.onmessage = (ev) => {
  const req = ev.data
  let cv: Cv | null = null
  loadCv(req.cvUrl)
    .then((loaded) => {
      cv = loaded.cv
      const t0 = performance.now()
      const mask = grabCut(loaded.cv, req)
      scope.postMessage({ id: req.id, ok: true, mask: mask.buffer as ArrayBuffer, ms: performance.now() - t0, loadMs: loaded.ms }, [mask.buffer as ArrayBuffer])
      loaded.ms = 0 // the load is paid once
    })
    .catch((err: unknown) => scope.postMessage({ id: req.id, ok: false, error: message(cv, err) }))
}
