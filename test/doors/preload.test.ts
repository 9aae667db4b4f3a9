// The preload exposes nothing but `window.lockstep`: one function per contract channel, one
// subscribe per event, and mediaBase. The BUILT file (out/preload/index.cjs, what Electron loads)
// runs in a vm with a fake `electron` module, and its keys are compared with the contract.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createContext as vmContext, runInContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { channelNames, eventNames } from '../../src/shared/contract'
import { buildBridge } from '../../src/preload/bridge'

const built = join(import.meta.dirname, '../../out/preload/index.cjs')

function fakeElectron() {
  const exposed = new Map<string, unknown>()
  const invoked: unknown[][] = []
  const listeners = new Map<string, Set<(event: unknown, ...args: unknown[]) => void>>()
  const ipcRenderer = {
    invoke: async (...args: unknown[]) => {
      invoked.push(args)
      return { ok: true, result: 'r' }
    },
    on: (c: string, l: (event: unknown, ...args: unknown[]) => void) => {
      if (!listeners.has(c)) listeners.set(c, new Set())
      listeners.get(c)!.add(l)
    },
    removeListener: (c: string, l: (event: unknown, ...args: unknown[]) => void) => listeners.get(c)?.delete(l),
    send: () => {
      throw new Error('the preload must not use send')
    },
    sendSync: () => {
      throw new Error('the preload must not use sendSync')
    },
  }
  const contextBridge = {
    exposeInMainWorld: (key: string, value: unknown) => {
      if (exposed.has(key)) throw new Error(`exposed twice: ${key}`)
      exposed.set(key, value)
    },
  }
  const emit = (c: string, ...args: unknown[]) => listeners.get(c)?.forEach((l) => l({ sender: 'IPC-SENDER-OBJECT', ports: [] }, ...args))
  return { exposed, invoked, listeners, emit, module: { contextBridge, ipcRenderer } }
}

type Bridge = { api: Record<string, (i: unknown) => Promise<unknown>>; events: Record<string, (l: (p: unknown) => void) => () => void>; mediaBase: string }

function checkBridge(bridge: Bridge, fake: ReturnType<typeof fakeElectron>) {
  expect(Object.keys(bridge).sort()).toEqual(['api', 'events', 'mediaBase'])
  expect(Object.keys(bridge.api).sort()).toEqual([...channelNames].sort())
  expect(Object.keys(bridge.events).sort()).toEqual([...eventNames].sort())
  expect(bridge.mediaBase).toBe('lockstep-media://app')
  for (const f of [...Object.values(bridge.api), ...Object.values(bridge.events)]) expect(typeof f).toBe('function')
  expect(Object.isFrozen(bridge) && Object.isFrozen(bridge.api) && Object.isFrozen(bridge.events)).toBe(true)
  return (async () => {
    expect(await bridge.api['job.cancel']({ id: 'x' })).toEqual({ ok: true, result: 'r' })
    expect(fake.invoked).toEqual([['lockstep:call:job.cancel', { id: 'x' }]])
    const got: unknown[][] = []
    const off = bridge.events['job.progress']((...args: unknown[]) => got.push(args))
    fake.emit('lockstep:event:job.progress', { id: 'j', done: 1 })
    off()
    fake.emit('lockstep:event:job.progress', { id: 'j', done: 2 })
    // the page gets the payload alone: never the IpcRendererEvent (sender, ports)
    expect(got).toEqual([[{ id: 'j', done: 1 }]])
    expect(fake.listeners.get('lockstep:event:job.progress')!.size).toBe(0)
  })()
}

describe('preload', () => {
  it('the built out/preload/index.cjs exposes only window.lockstep, derived from the contract', async () => {
    expect(existsSync(built), 'run `npm run build` first').toBe(true)
    const code = readFileSync(built, 'utf8')
    expect(code).not.toMatch(/\bzod\b/)
    const fake = fakeElectron()
    const required: string[] = []
    const sandbox = vmContext({
      require: (id: string) => {
        required.push(id)
        if (id !== 'electron') throw new Error(`the sandboxed preload may only require electron, not ${id}`)
        return fake.module
      },
      module: { exports: {} },
      exports: {},
      console,
    })
    runInContext(code, sandbox, { filename: built })
    expect(required).toEqual(['electron'])
    expect([...fake.exposed.keys()]).toEqual(['lockstep'])
    await checkBridge(fake.exposed.get('lockstep') as Bridge, fake)
  })

  it('buildBridge (the source) gives the same shape', async () => {
    const fake = fakeElectron()
    await checkBridge(buildBridge(fake.module.ipcRenderer) as unknown as Bridge, fake)
  })
})
