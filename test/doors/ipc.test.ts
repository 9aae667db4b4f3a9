// The ipcMain binding, with small fakes of Electron's objects: sender check, parse, error flattening.
import { describe, expect, it } from 'vitest'
import { bindIpc, isTrustedSender, windowEventSink, type InvokeEventLike, type TrustedWindowLike } from '../../src/main/ipc/bind'
import { nativeDialogHandlers } from '../../src/main/ipc/dialogs'
import { channelNames } from '../../src/shared/contract'
import { callChannel, eventChannel } from '../../src/shared/ipc-names'
import { createContext } from '../../src/main/services'
import type { Reply } from '../../src/shared/wire'

function fakeWindow(url = 'lockstep://app/index.html') {
  const mainFrame = { url }
  const sent: [string, unknown][] = []
  const webContents = { mainFrame, send: (c: string, p: unknown) => void sent.push([c, p]), isDestroyed: () => false }
  let destroyed = false
  const win: TrustedWindowLike & { destroy(): void } = { isDestroyed: () => destroyed, webContents, destroy: () => void (destroyed = true) }
  return { win, mainFrame, webContents, sent }
}

function fakeIpcMain() {
  const handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>>()
  return {
    handlers,
    handle: (c: string, l: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>) => {
      if (handlers.has(c)) throw new Error(`second handler for ${c}`)
      handlers.set(c, l)
    },
    removeHandler: (c: string) => void handlers.delete(c),
    invoke: (c: string, event: InvokeEventLike, ...args: unknown[]) => handlers.get(c)!(event, ...args) as Promise<Reply>,
  }
}

describe('isTrustedSender', () => {
  it('accepts only our window main frame showing lockstep://app', () => {
    const { win, mainFrame, webContents } = fakeWindow()
    expect(isTrustedSender({ sender: webContents, senderFrame: mainFrame }, win)).toBe(true)
    // another window's contents, a subframe, a missing frame, no window, a destroyed window
    expect(isTrustedSender({ sender: { mainFrame }, senderFrame: mainFrame }, win)).toBe(false)
    expect(isTrustedSender({ sender: webContents, senderFrame: { url: 'lockstep://app/index.html' } }, win)).toBe(false)
    expect(isTrustedSender({ sender: webContents, senderFrame: null }, win)).toBe(false)
    expect(isTrustedSender({ sender: webContents, senderFrame: mainFrame }, null)).toBe(false)
    const gone = fakeWindow()
    gone.win.destroy()
    expect(isTrustedSender({ sender: gone.webContents, senderFrame: gone.mainFrame }, gone.win)).toBe(false)
  })

  it('refuses our main frame once it shows anything but our renderer', () => {
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'lockstep://evil/index.html', 'lockstep-media://app/x', 'about:blank', 'not a url']) {
      const { win, mainFrame, webContents } = fakeWindow(url)
      expect(isTrustedSender({ sender: webContents, senderFrame: mainFrame }, win), url).toBe(false)
    }
  })
})

describe('bindIpc', () => {
  const setup = () => {
    const ipc = fakeIpcMain()
    const w = fakeWindow()
    const ctx = createContext(windowEventSink(() => w.win))
    const unbind = bindIpc(ipc, ctx, () => w.win)
    return { ipc, w, ctx, unbind, ok: { sender: w.webContents, senderFrame: w.mainFrame } }
  }

  it('registers exactly one handler per contract channel, and removes them again', () => {
    const { ipc, unbind } = setup()
    expect([...ipc.handlers.keys()].sort()).toEqual(channelNames.map(callChannel).sort())
    unbind()
    expect(ipc.handlers.size).toBe(0)
  })

  it('runs a valid call from our window', async () => {
    const { ipc, ok } = setup()
    expect(await ipc.invoke(callChannel('job.list'), ok, {})).toEqual({ ok: true, result: [] })
  })

  it('refuses a foreign sender before parsing or running anything', async () => {
    const { ipc, w, ctx } = setup()
    let ran = false
    const job = ctx.jobs.start('stats', 'victim', async (j) => {
      await new Promise((r) => j.signal.addEventListener('abort', r))
      ran = true
    })
    const other = fakeWindow()
    const r = await ipc.invoke(callChannel('job.cancel'), { sender: other.webContents, senderFrame: other.mainFrame }, { id: job.id })
    expect(r).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'IPC call job.cancel refused: the sender is not the Lockstep window' } })
    const sub = await ipc.invoke(callChannel('job.cancel'), { sender: w.webContents, senderFrame: { url: 'lockstep://app/' } }, { id: job.id })
    expect(!sub.ok && sub.error.code).toBe('FORBIDDEN')
    expect(ran).toBe(false)
    expect(ctx.jobs.list()[0].status).toBe('running')
    ctx.jobs.cancel(job.id)
    await job.result.catch(() => {})
  })

  it('returns INVALID_INPUT for a malformed payload, naming the channel and field', async () => {
    const { ipc, ok } = setup()
    const r = await ipc.invoke(callChannel('job.cancel'), ok, { id: 42 })
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('INVALID_INPUT')
      expect(r.error.message).toMatch(/^Invalid input for job\.cancel: id: /)
    }
    const extra = await ipc.invoke(callChannel('job.list'), ok, {}, { sneaky: true })
    expect(!extra.ok && extra.error.code).toBe('INVALID_INPUT')
    const unknownKey = await ipc.invoke(callChannel('job.list'), ok, { evil: 1 })
    expect(!unknownKey.ok && unknownKey.error.code).toBe('INVALID_INPUT')
  })

  it('answers the native pickers with a clear error outside Electron, and through the dialog inside it', async () => {
    const { ipc, ok } = setup()
    const browser = await ipc.invoke(callChannel('dialog.openFolder'), ok, {})
    expect(browser.ok).toBe(false)
    if (!browser.ok) expect(browser.error.message).toContain('exists only in the desktop app')

    const ipc2 = fakeIpcMain()
    const w = fakeWindow()
    const asked: unknown[] = []
    const dialog = {
      showOpenDialog: async (_w: unknown, o: { properties: string[] }) => {
        asked.push(o)
        return o.properties.includes('openDirectory') ? { canceled: false, filePaths: ['/data/set'] } : { canceled: true, filePaths: [] }
      },
    }
    bindIpc(
      ipc2,
      createContext(windowEventSink(() => w.win)),
      () => w.win,
      nativeDialogHandlers(dialog, () => w.win),
    )
    const okEvent = { sender: w.webContents, senderFrame: w.mainFrame }
    expect(await ipc2.invoke(callChannel('dialog.openFolder'), okEvent, { title: 'Pick' })).toEqual({ ok: true, result: { path: '/data/set' } })
    expect(await ipc2.invoke(callChannel('dialog.openFile'), okEvent, { filters: [{ name: 'Recipes', extensions: ['json'] }] })).toEqual({
      ok: true,
      result: { path: null },
    })
    const bad = await ipc2.invoke(callChannel('dialog.openFile'), okEvent, { filters: [{ name: 'x', extensions: ['../..'] }] })
    expect(!bad.ok && bad.error.code).toBe('INVALID_INPUT')
    expect(asked).toHaveLength(2)
  })

  it('sends service events to our window only, under the event channel', async () => {
    const { ctx, w } = setup()
    const job = ctx.jobs.start('stats', 'evt', async () => 1)
    await job.result
    expect(w.sent.length).toBeGreaterThanOrEqual(2)
    expect(w.sent.every(([c]) => c === eventChannel('job.progress'))).toBe(true)
    expect((w.sent.at(-1)![1] as { status: string }).status).toBe('done')
  })
})
