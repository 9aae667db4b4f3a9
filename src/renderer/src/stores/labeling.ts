// Labeling in the Inspector (issue 11): the open sample's label map as tiles, the tools that
// write class indices into it, undo/redo, saving through `mask.save`, drafts that survive a
// reload, and the mask's kept versions. The inspector store decides which sample is open; this
// store owns what is drawn on it. Labels are class indices everywhere, never colours.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { SampleDetail } from '@shared/contract/catalog'
import type { MaskVersionInfo } from '@shared/contract/labels'
import { api, isApiError } from '../api'
import { TileMap, type Depth, type LabelArray } from '../lib/labeling/tiles'
import { History, type Edit } from '../lib/labeling/history'
import { brushSpans, polygonSpans, type Pt, type Span } from '../lib/labeling/raster'
import { floodFill, growRegion, type Rgba } from '../lib/labeling/fill'
import { deflate, fromLittleEndian, inflate, littleEndianBytes, toBase64 } from '../lib/labeling/codec'
import { draftKey, indexedDbDrafts, memoryDrafts, type Draft, type DraftStore } from '../lib/labeling/drafts'
import { loadImagePixels } from '../lib/labeling/image'
import type { BoxAssist, Proposal } from '../lib/labeling/assist'
import { useInspectorStore } from './inspector'
import { useProjectStore } from './project'
import { useToastStore } from './toasts'

export type Tool = 'view' | 'brush' | 'eraser' | 'polygon' | 'fill' | 'wand' | 'box'
export const TOOLS: { id: Tool; key: string; label: string; icon: string }[] = [
  { id: 'view', key: 'V', label: 'Pan and review', icon: 'hand' },
  { id: 'brush', key: 'B', label: 'Brush', icon: 'brush' },
  { id: 'eraser', key: 'E', label: 'Eraser (Alt: paint ignore)', icon: 'eraser' },
  { id: 'polygon', key: 'P', label: 'Polygon', icon: 'polygon' },
  { id: 'fill', key: 'G', label: 'Fill region', icon: 'bucket' },
  { id: 'wand', key: 'W', label: 'Magic wand (Shift adds)', icon: 'wand' },
  { id: 'box', key: 'X', label: 'Box assist', icon: 'box' },
]

/** A pointer on the image: x, y in image pixels (fractional), scale = screen px per image px. */
export interface ToolPointer {
  x: number
  y: number
  scale: number
  shift: boolean
  alt: boolean
  /** the event's timeStamp (performance.now() clock) */
  t: number
}

export type LeavePolicy = 'save' | 'ask'
export type LeaveChoice = 'save' | 'discard' | 'cancel'

export const MIN_BRUSH = 1
export const MAX_BRUSH = 512
const LEAVE_KEY = 'lockstep.labeling.onLeave'
const DRAFT_DELAY_MS = 500

function measure(name: string, start: number): number {
  const end = performance.now()
  try {
    performance.measure(name, { start, end })
  } catch {
    /* a measure is a nicety */
  }
  return end - start
}

const pixel = (p: { x: number; y: number }): Pt => ({ x: Math.floor(p.x), y: Math.floor(p.y) })

export const useLabelingStore = defineStore('labeling', () => {
  const inspector = useInspectorStore()
  const project = useProjectStore()
  const toasts = useToastStore()

  // ------------------------------------------------------------------ state
  const tool = ref<Tool>('view')
  const brushSize = ref(24)
  const tolerance = ref(24)
  const currentClass = ref(1)
  const locked = ref<Set<number>>(new Set())
  /** "paint only over background": every class but 0 is locked, present or future */
  const onlyBackground = ref(false)
  const leavePolicy = ref<LeavePolicy>(readPolicy())

  const map = shallowRef<TileMap | null>(null)
  let history: History | null = null
  let sampleId: number | null = null
  let sampleKey = ''
  let baseHash: string | null = null
  /** why the open sample cannot be labeled (null: it can) */
  const blocked = ref<string | null>(null)
  /** bumps on every change of the map's content (undo counts, dirty, counts follow it) */
  const rev = ref(0)
  /** bumps when tiles need repainting; the overlay draws on the next frame */
  const paintTick = ref(0)
  /** when the input being drawn arrived (event timeStamp), for the paint latency measure */
  let inputAt = 0
  /** measures that end when the overlay has drawn the change (what the user waits for) */
  let untilPainted: { name: string; start: number }[] = []
  const counts = shallowRef<Uint32Array | null>(null)
  const cursor = ref<Pt | null>(null)

  const polygon = ref<Pt[]>([])
  const box = ref<{ a: Pt; b: Pt } | null>(null)
  const proposal = shallowRef<Proposal | null>(null)
  const assistBusy = ref(false)
  const assistInfo = ref('')
  let stroke: { edit: Edit; last: Pt } | null = null
  let lastStrokeEnd: Pt | null = null
  let wand: { edit: Edit; seeds: Pt[] } | null = null
  let pixels: { sampleId: number; img: Promise<Rgba> } | null = null
  let assist: BoxAssist | null = null

  const saving = ref(false)
  const conflict = ref<string | null>(null)
  const versions = ref<MaskVersionInfo[]>([])
  const versionsError = ref<string | null>(null)
  const restoring = ref(false)
  const draftNotice = ref<{ savedAt: number } | null>(null)
  /** a draft made on another content of the mask than the file holds now: the user decides */
  const staleDraft = shallowRef<Draft | null>(null)
  const leavePrompt = shallowRef<{ resolve: (c: LeaveChoice) => void } | null>(null)

  let drafts: DraftStore = typeof indexedDB !== 'undefined' ? indexedDbDrafts() : memoryDrafts()

  // ------------------------------------------------------------------ derived
  const undoCount = computed(() => (rev.value, history?.undoCount ?? 0))
  const redoCount = computed(() => (rev.value, history?.redoCount ?? 0))
  const dirty = computed(() => (rev.value, history?.dirty ?? false))
  const editable = computed(() => map.value !== null && blocked.value === null)
  const ignoreIndex = computed(() => project.classes.find((c) => c.ignore)?.index ?? 255)
  /** the classes number keys pick, in the table's order: every class but the background and ignore */
  const pickable = computed(() => project.classes.filter((c) => c.index !== 0 && !c.ignore).map((c) => c.index))

  // ------------------------------------------------------------------ the open sample
  function reset(): void {
    cancelTransient()
    map.value = null
    history = null
    sampleId = null
    baseHash = null
    blocked.value = null
    counts.value = null
    versions.value = []
    versionsError.value = null
    draftNotice.value = null
    staleDraft.value = null
    conflict.value = null
    pixels = null
    lastStrokeEnd = null
    rev.value++
  }

  function install(d: SampleDetail, m: TileMap, hash: string | null): void {
    cancelTransient()
    map.value = m
    history = new History(m)
    sampleId = d.id
    sampleKey = d.key
    baseHash = hash
    blocked.value = null
    lastStrokeEnd = null
    m.dirty.clear()
    for (let t = 0; t < m.tiles.length; t++) m.dirty.add(t)
    rev.value++
    paintTick.value++
    scheduleCounts()
  }

  function newDepth(): Depth {
    return project.classes.some((c) => c.index > 255) ? 16 : 8
  }

  /** Follows the inspector: a new sample, its labels arriving, or them failing to load. */
  function follow(d: SampleDetail | null, l: { width: number; height: number; depth: 8 | 16; data: LabelArray } | null, err: string | null): void {
    if (!d) return reset()
    if (d.id !== sampleId) reset()
    if (map.value && !l) return // the same sample's detail changed (e.g. after a save): keep the edits
    if (d.error?.kind === 'MISSING_IMAGE' || !d.imagePath) {
      blocked.value = 'This mask has no image to label against.'
      return
    }
    if (d.maskPath && !l) {
      blocked.value = err ? `The mask could not be read: ${err}` : null
      return
    }
    if (!d.width || !d.height) {
      blocked.value = 'The image size is unknown (the image could not be read).'
      return
    }
    if (l && (l.width !== d.width || l.height !== d.height)) {
      blocked.value = `The mask is ${l.width}×${l.height} but the image is ${d.width}×${d.height}: fix the pair before labeling.`
      return
    }
    if (l && inspector.openedAt) measure('label:open:labels', inspector.openedAt)
    const t0 = performance.now()
    const m = l ? TileMap.fromFlat(l.width, l.height, l.depth, l.data) : new TileMap(d.width, d.height, newDepth())
    measure('label:open:tiles', t0)
    install(d, m, l ? d.maskHash : null)
    if (l) inspector.labels = null // the tiles hold the labels now
    void loadVersions()
    void checkDraft(d)
  }

  /** Starts a new, empty mask over a sample whose mask file cannot be read (the old file is kept as a version by the save). */
  function startFresh(): void {
    const d = inspector.detail
    if (!d?.width || !d.height) return
    install(d, new TileMap(d.width, d.height, d.maskDepth === 16 ? 16 : newDepth()), d.maskHash)
    history!.markUnsaved()
    rev.value++
  }

  /** Called by the overlay once it has drawn a freshly opened map. */
  function painted(full: boolean): void {
    if (full && inspector.openedAt) {
      measure('label:open', inspector.openedAt)
      inspector.openedAt = 0
    }
    if (inputAt) {
      measure('label:paint', inputAt)
      inputAt = 0
    }
    for (const m of untilPainted) measure(m.name, m.start)
    untilPainted = []
  }

  // ------------------------------------------------------------------ changes
  let compactTimer: ReturnType<typeof setTimeout> | null = null
  let countsTimer: ReturnType<typeof setTimeout> | null = null
  let draftTimer: ReturnType<typeof setTimeout> | null = null

  function changed(): void {
    rev.value++
    paintTick.value++
    draftNotice.value = null
    if (!compactTimer) compactTimer = setTimeout(compactSome, 40)
    scheduleCounts()
    scheduleDraft()
  }
  function scheduleCounts(): void {
    if (countsTimer) clearTimeout(countsTimer)
    countsTimer = setTimeout(refreshCounts, 300)
  }
  function compactSome(): void {
    compactTimer = null
    // a few milliseconds at a time, so coding a large step never stalls a stroke
    if (history && !history.compact(6)) compactTimer = setTimeout(compactSome, 16)
  }
  function refreshCounts(): void {
    countsTimer = null
    counts.value = map.value ? map.value.histogram() : null
  }

  function lockLut(m: TileMap): Uint8Array | null {
    if (!locked.value.size && !onlyBackground.value) return null
    const lut = new Uint8Array(m.maxValue + 1)
    if (onlyBackground.value) lut.fill(1, 1)
    for (const c of locked.value) if (c <= m.maxValue) lut[c] = 1
    return lut
  }
  const isLocked = (index: number) => (onlyBackground.value && index !== 0) || locked.value.has(index)

  /** Starts an edit writing `value`, or says why it cannot. */
  function begin(value: number, label: string): Edit | null {
    const m = map.value
    if (!m || !history || blocked.value) return null
    if (value > m.maxValue) {
      toasts.push(
        'error',
        `Class ${value} does not fit this mask`,
        `The mask is ${m.depth}-bit (classes 0–${m.maxValue}); its encoding is kept, so pick another class.`,
      )
      return null
    }
    return history.begin(value, lockLut(m), label)
  }

  function commit(edit: Edit): boolean {
    const step = history?.commit(edit)
    if (step) changed()
    else paintTick.value++
    return !!step
  }

  function apply(edit: Edit, spans: Span[]): void {
    for (const [y, a, b] of spans) edit.span(y, a, b)
  }

  // ------------------------------------------------------------------ tools
  function setTool(t: Tool): void {
    if (t === tool.value) return
    if (proposal.value && (t === 'brush' || t === 'eraser')) acceptProposal()
    finishWand()
    polygon.value = []
    box.value = null
    tool.value = t
  }

  function setBrushSize(n: number): void {
    brushSize.value = Math.max(MIN_BRUSH, Math.min(MAX_BRUSH, Math.round(n)))
  }
  /** [ and ]: about 15% per press, at least one pixel */
  function stepBrush(dir: 1 | -1): void {
    const s = brushSize.value
    setBrushSize(dir > 0 ? Math.max(s + 1, s * 1.15) : Math.min(s - 1, s / 1.15))
  }

  function pickClass(index: number): void {
    currentClass.value = index
    if (tool.value === 'view' || tool.value === 'eraser') tool.value = 'brush'
  }
  /** Number key n: the n-th pickable class of the table (or class n when the table is shorter). */
  function pickByKey(n: number): void {
    pickClass(pickable.value[n - 1] ?? n)
  }

  function toggleLock(index: number): void {
    const next = new Set(locked.value)
    if (next.has(index)) next.delete(index)
    else next.add(index)
    locked.value = next
  }
  /** "Paint only over background": every class but 0 locked (also those painted later). */
  function setOnlyBackground(on: boolean): void {
    onlyBackground.value = on
  }
  function unlockAll(): void {
    locked.value = new Set()
    onlyBackground.value = false
  }

  function pointerDown(p: ToolPointer): void {
    const at = pixel(p)
    inputAt = p.t
    switch (tool.value) {
      case 'brush':
      case 'eraser':
        return startStroke(at, p)
      case 'polygon':
        return addVertex(at, p.scale)
      case 'fill':
        return fillAt(at)
      case 'wand':
        return void wandAt(at, p.shift)
      case 'box':
        proposal.value = null
        box.value = { a: at, b: at }
        return
    }
  }

  function pointerMove(p: ToolPointer, buttons: number): void {
    const at = pixel(p)
    const c = cursor.value
    if (!c || c.x !== at.x || c.y !== at.y) cursor.value = at
    if (stroke && buttons & 1) {
      inputAt = p.t
      const m = map.value!
      apply(stroke.edit, brushSpans(stroke.last, at, brushSize.value, m.width, m.height))
      stroke.last = at
      paintTick.value++
    } else if (box.value && buttons & 1) box.value = { a: box.value.a, b: at }
  }

  function pointerUp(p: ToolPointer): void {
    if (stroke) {
      lastStrokeEnd = stroke.last
      const s = stroke
      stroke = null
      commit(s.edit)
    } else if (box.value) {
      const b = { a: box.value.a, b: pixel(p) }
      box.value = b
      void runAssist(b)
    }
  }

  function pointerLeave(): void {
    cursor.value = null
  }

  function startStroke(at: Pt, p: ToolPointer): void {
    const value = tool.value === 'eraser' ? (p.alt ? ignoreIndex.value : 0) : currentClass.value
    const edit = begin(value, tool.value === 'eraser' ? 'erase' : 'brush')
    if (!edit) return
    const m = map.value!
    // Shift: a straight line from where the last stroke ended
    const from = p.shift && lastStrokeEnd ? lastStrokeEnd : at
    apply(edit, brushSpans(from, at, brushSize.value, m.width, m.height))
    stroke = { edit, last: at }
    paintTick.value++
  }

  function fillAt(at: Pt): void {
    const t0 = performance.now()
    const edit = begin(currentClass.value, 'fill')
    if (!edit) return
    floodFill(map.value!, at.x, at.y, edit)
    if (commit(edit)) untilPainted.push({ name: 'label:fill', start: t0 })
  }

  // polygon: click vertices; close on the first vertex or Enter; Backspace removes; Escape cancels
  const CLOSE_PX = 8
  function addVertex(at: Pt, scale: number): void {
    const pts = polygon.value
    const first = pts[0]
    if (first && pts.length >= 3 && Math.hypot(first.x - at.x, first.y - at.y) * scale <= CLOSE_PX) {
      closePolygon()
      return
    }
    const last = pts.at(-1)
    if (last && last.x === at.x && last.y === at.y) return
    polygon.value = [...pts, at]
  }
  function closePolygon(): boolean {
    const pts = polygon.value
    if (pts.length < 3) return false
    polygon.value = []
    const edit = begin(currentClass.value, 'polygon')
    if (!edit) return true
    const m = map.value!
    apply(edit, polygonSpans(pts, m.width, m.height))
    commit(edit)
    return true
  }
  function removeVertex(): boolean {
    if (!polygon.value.length) return false
    polygon.value = polygon.value.slice(0, -1)
    return true
  }

  // wand: a click grows a region of similar colour and paints it; Shift adds to the same selection
  function imagePixels(): Promise<Rgba> {
    const id = sampleId!
    if (!pixels || pixels.sampleId !== id) {
      const url = inspector.imageUrl
      pixels = { sampleId: id, img: url ? loadImagePixels(url) : Promise.reject(new Error('This sample has no image')) }
    }
    return pixels.img
  }
  async function wandAt(at: Pt, add: boolean): Promise<void> {
    if (!map.value) return
    let img: Rgba
    try {
      img = await imagePixels()
    } catch (err) {
      return toasts.error('Reading the image for the wand', err)
    }
    if (add && wand) wand.seeds.push(at)
    else {
      finishWand()
      const edit = begin(currentClass.value, 'wand')
      if (!edit) return
      wand = { edit, seeds: [at] }
    }
    regrow(img)
  }
  function regrow(img: Rgba): void {
    if (!wand) return
    const t0 = performance.now()
    wand.edit.revert()
    const seen = new Uint8Array(img.width * img.height)
    for (const s of wand.seeds) apply(wand.edit, growRegion(img, s.x, s.y, tolerance.value, seen))
    paintTick.value++
    measure('label:wand', t0)
  }
  function setTolerance(v: number): void {
    tolerance.value = Math.max(0, Math.min(255, Math.round(v)))
    if (wand && pixels) void pixels.img.then(regrow)
  }
  /** Ends the wand's selection as one undo step. */
  function finishWand(): void {
    if (!wand) return
    const w = wand
    wand = null
    commit(w.edit)
  }

  // box assist: GrabCut in a worker proposes; accept (Enter), refine with the brush (B), reject (Escape)
  async function runAssist(b: { a: Pt; b: Pt }): Promise<void> {
    const m = map.value
    if (!m) return
    const x0 = Math.max(0, Math.min(b.a.x, b.b.x))
    const y0 = Math.max(0, Math.min(b.a.y, b.b.y))
    const x1 = Math.min(m.width - 1, Math.max(b.a.x, b.b.x))
    const y1 = Math.min(m.height - 1, Math.max(b.a.y, b.b.y))
    if (x1 - x0 < 3 || y1 - y0 < 3) {
      box.value = null
      return
    }
    const id = sampleId
    assistBusy.value = true
    assistInfo.value = ''
    try {
      const img = await imagePixels()
      if (!assist) {
        const { BoxAssist } = await import('../lib/labeling/assist')
        assist = new BoxAssist()
      }
      const t0 = performance.now()
      const prop = await assist.propose(img, { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 })
      measure('label:assist', t0)
      if (id !== sampleId) return
      proposal.value = prop
      assistInfo.value = `${prop.area.toLocaleString('en-US')} px proposed in ${Math.round(prop.ms)} ms${prop.loadMs ? ` (OpenCV loaded in ${Math.round(prop.loadMs)} ms)` : ''}`
    } catch (err) {
      toasts.error('Box assist', err)
    } finally {
      assistBusy.value = false
      box.value = null
    }
  }
  function acceptProposal(): boolean {
    const prop = proposal.value
    if (!prop) return false
    proposal.value = null
    const edit = begin(currentClass.value, 'box assist')
    if (!edit) return true
    const { x, y, w, h } = prop.box
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w;) {
        if (!prop.mask[r * w + c]) {
          c++
          continue
        }
        const start = c
        while (c < w && prop.mask[r * w + c]) c++
        edit.span(y + r, x + start, x + c - 1)
      }
    }
    commit(edit)
    return true
  }
  function rejectProposal(): boolean {
    if (!proposal.value) return false
    proposal.value = null
    return true
  }

  /** Escape: the innermost thing in progress goes (polygon, box, proposal, wand selection). */
  function cancel(): boolean {
    if (polygon.value.length) return ((polygon.value = []), true)
    if (box.value) return ((box.value = null), true)
    if (rejectProposal()) return true
    if (wand) {
      wand.edit.revert()
      wand = null
      paintTick.value++
      return true
    }
    return false
  }
  /** Enter: closes the polygon or accepts the proposal. */
  function confirm(): boolean {
    return closePolygon() || acceptProposal()
  }

  function cancelTransient(): void {
    if (stroke) stroke.edit.revert()
    if (wand) wand.edit.revert()
    stroke = null
    wand = null
    polygon.value = []
    box.value = null
    proposal.value = null
  }

  // ------------------------------------------------------------------ undo / redo
  function undo(): void {
    finishWand()
    if (!history) return
    const t0 = performance.now()
    if (history.undo()) {
      changed()
      untilPainted.push({ name: 'label:undo', start: t0 })
    }
  }
  function redo(): void {
    finishWand()
    if (history?.redo()) changed()
  }

  // ------------------------------------------------------------------ saving
  /** mask.save's answer when the file changed since the edits began (src/main/catalog/masks.ts). */
  function isConflict(err: unknown): boolean {
    return isApiError(err) && err.code === 'INVALID_INPUT' && (err.details as { conflict?: boolean } | undefined)?.conflict === true
  }

  async function encode(m: TileMap): Promise<string> {
    return toBase64(await deflate(littleEndianBytes(m.toFlat())))
  }

  /** Ctrl+S: writes the map through mask.save; edits made while it runs stay unsaved. */
  async function save(opts: { force?: boolean } = {}): Promise<boolean> {
    finishWand()
    const m = map.value
    const h = history
    const id = sampleId
    if (!m || !h || id === null || saving.value) return false
    if (!h.dirty && !opts.force) return true
    saving.value = true
    conflict.value = null
    // the save makes the draft moot; a draft deflating the same map now would only slow it down
    if (draftTimer) clearTimeout(draftTimer)
    draftTimer = null
    const t0 = performance.now()
    const savedStep = h.topId
    try {
      const data = await encode(m)
      measure('label:save:encode', t0)
      const res = await api.call('mask.save', { sampleId: id, width: m.width, height: m.height, depth: m.depth, data, baseHash, force: opts.force ?? false })
      const ms = measure('label:save', t0)
      if (id !== sampleId) return true
      baseHash = res.sample.maskHash
      h.markSaved(savedStep)
      rev.value++
      inspector.applySample(res.sample)
      toasts.ok(
        'Mask saved',
        `${res.sample.maskPath ?? sampleKey} in ${Math.round(ms)} ms${res.replaced ? ' (the previous content is kept as a version)' : ''}`,
      )
      if (h.dirty) void writeDraft()
      else void drafts.delete(currentDraftKey()).catch(() => {})
      void loadVersions()
      return true
    } catch (err) {
      if (isConflict(err)) conflict.value = (err as Error).message
      else toasts.error(`Saving the mask of ${sampleKey}`, err)
      scheduleDraft()
      return false
    } finally {
      saving.value = false
    }
  }

  // ------------------------------------------------------------------ leaving a sample with edits
  function setLeavePolicy(p: LeavePolicy): void {
    leavePolicy.value = p
    try {
      localStorage.setItem(LEAVE_KEY, p)
    } catch {
      /* storage may be off */
    }
  }
  async function beforeLeave(): Promise<boolean> {
    finishWand()
    if (!history?.dirty) return true
    if (leavePolicy.value === 'save') return save()
    const choice = await new Promise<LeaveChoice>((resolve) => {
      leavePrompt.value = { resolve }
    })
    leavePrompt.value = null
    if (choice === 'save') return save()
    if (choice === 'discard') {
      await discard()
      return true
    }
    return false
  }
  function answerLeave(choice: LeaveChoice): void {
    leavePrompt.value?.resolve(choice)
  }
  inspector.setLeaveGuard(beforeLeave)

  /** Drops the unsaved edits (and their draft) and goes back to the file's content. */
  async function discard(): Promise<void> {
    await drafts.delete(currentDraftKey()).catch(() => {})
    if (!history) return
    while (history.dirty && history.undo()) {
      /* back to the saved state */
    }
    const d = inspector.detail
    if (history.dirty && d) {
      // the saved state is older than the kept steps: start again from the file (or from nothing)
      if (d.maskPath) {
        sampleId = null
        inspector.applySample(d, { reloadLabels: true })
      } else if (d.width && d.height) install(d, new TileMap(d.width, d.height, map.value?.depth ?? newDepth()), null)
    }
    changed()
  }

  // ------------------------------------------------------------------ drafts
  function currentDraftKey(): string {
    return draftKey(project.info?.dir ?? '', sampleId ?? 0)
  }
  function scheduleDraft(): void {
    if (draftTimer) clearTimeout(draftTimer)
    draftTimer = setTimeout(() => void writeDraft(), DRAFT_DELAY_MS)
  }
  async function writeDraft(): Promise<void> {
    draftTimer = null
    const m = map.value
    const h = history
    if (!m || !h || sampleId === null) return
    const key = currentDraftKey()
    try {
      if (!h.dirty) return await drafts.delete(key)
      const data = await deflate(littleEndianBytes(m.toFlat()))
      await drafts.put({
        key,
        project: project.info?.dir ?? '',
        sampleId,
        sampleKey,
        baseHash,
        width: m.width,
        height: m.height,
        depth: m.depth,
        data,
        savedAt: Date.now(),
      })
    } catch (err) {
      toasts.error('Keeping a draft of the unsaved edits', err)
    }
  }
  /** Draft writes still waiting (a reload now would lose the last half second). */
  const draftPending = () => draftTimer !== null

  async function checkDraft(d: SampleDetail): Promise<void> {
    let draft: Draft | null
    try {
      draft = await drafts.get(currentDraftKey())
    } catch {
      return
    }
    if (!draft || d.id !== sampleId) return
    const m = map.value!
    if (draft.width !== m.width || draft.height !== m.height || draft.depth !== m.depth || draft.baseHash !== baseHash) {
      staleDraft.value = draft
      return
    }
    await applyDraft(draft)
  }
  async function applyDraft(draft: Draft): Promise<void> {
    const d = inspector.detail
    if (!d || d.id !== draft.sampleId) return
    const flat = fromLittleEndian(await inflate(draft.data), draft.depth)
    const keepHash = baseHash
    install(d, TileMap.fromFlat(draft.width, draft.height, draft.depth, flat), keepHash)
    history!.markUnsaved()
    rev.value++
    draftNotice.value = { savedAt: draft.savedAt }
    staleDraft.value = null
  }
  async function resolveStaleDraft(restore: boolean): Promise<void> {
    const draft = staleDraft.value
    staleDraft.value = null
    if (!draft) return
    if (restore) await applyDraft(draft)
    else await drafts.delete(draft.key).catch(() => {})
  }

  // ------------------------------------------------------------------ versions
  async function loadVersions(): Promise<void> {
    const id = sampleId
    if (id === null || !inspector.detail?.maskPath) {
      versions.value = []
      return
    }
    try {
      const list = await api.call('mask.versions', { sampleId: id })
      if (id === sampleId) {
        versions.value = list
        versionsError.value = null
      }
    } catch (err) {
      if (id === sampleId) versionsError.value = err instanceof Error ? err.message : String(err)
    }
  }
  /** Makes a kept version current (unsaved edits are dropped: the caller asked the user). */
  async function restore(versionId: number): Promise<boolean> {
    const id = sampleId
    if (id === null || restoring.value) return false
    restoring.value = true
    try {
      const res = await api.call('mask.restore', { sampleId: id, versionId })
      await drafts.delete(currentDraftKey()).catch(() => {})
      sampleId = null // rebuild from the restored file
      inspector.applySample(res.sample, { reloadLabels: true })
      toasts.ok('Version restored', `${res.sample.maskPath ?? ''}${res.replaced ? ' (the content it replaced is kept as a version)' : ''}`)
      return true
    } catch (err) {
      toasts.error('Restoring the mask version', err)
      return false
    } finally {
      restoring.value = false
    }
  }

  /** After a remap: the open mask may have changed on disk; take the file's content if it did. */
  async function reloadAfterRemap(): Promise<void> {
    const id = sampleId
    if (id === null || history?.dirty) return
    try {
      const d = await api.call('samples.get', { id })
      if (id !== sampleId || d.maskHash === baseHash) return
      sampleId = null
      inspector.applySample(d, { reloadLabels: true })
    } catch (err) {
      toasts.error('Reloading the mask after the remap', err)
    }
  }

  // ------------------------------------------------------------------ page lifecycle
  if (typeof window !== 'undefined') {
    window.addEventListener('beforeunload', (e) => {
      // the draft keeps everything but the last half second: ask only while it is behind
      if (history?.dirty && draftPending()) {
        void writeDraft()
        e.preventDefault()
      }
    })
  }

  /** Tests replace IndexedDB. */
  function useDrafts(store: DraftStore): void {
    drafts = store
  }

  // last, once everything above exists; immediate: the sample may have opened (and its labels
  // arrived) before this store was first used
  watch(
    () => [inspector.detail, inspector.labels, inspector.labelsError] as const,
    ([d, l, err]) => follow(d, l, err),
    { immediate: true },
  )

  return {
    tool,
    brushSize,
    tolerance,
    currentClass,
    locked,
    onlyBackground,
    isLocked,
    leavePolicy,
    map,
    blocked,
    rev,
    paintTick,
    counts,
    cursor,
    polygon,
    box,
    proposal,
    assistBusy,
    assistInfo,
    saving,
    conflict,
    versions,
    versionsError,
    restoring,
    draftNotice,
    staleDraft,
    leavePrompt,
    undoCount,
    redoCount,
    dirty,
    editable,
    ignoreIndex,
    pickable,
    setTool,
    setBrushSize,
    stepBrush,
    pickClass,
    pickByKey,
    toggleLock,
    setOnlyBackground,
    unlockAll,
    pointerDown,
    pointerMove,
    pointerUp,
    pointerLeave,
    closePolygon,
    removeVertex,
    setTolerance,
    finishWand,
    acceptProposal,
    rejectProposal,
    cancel,
    confirm,
    undo,
    redo,
    save,
    setLeavePolicy,
    beforeLeave,
    answerLeave,
    discard,
    resolveStaleDraft,
    loadVersions,
    restore,
    reloadAfterRemap,
    startFresh,
    painted,
    useDrafts,
    writeDraft,
  }
})

function readPolicy(): LeavePolicy {
  try {
    return localStorage.getItem(LEAVE_KEY) === 'ask' ? 'ask' : 'save'
  } catch {
    return 'save'
  }
}
