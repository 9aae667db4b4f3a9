// Packaging: electron-builder accepts our config (its own schema validation), native modules are
// unpacked from the asar, and the afterPack hook really flips the hardening fuses of a binary.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const root = join(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'lockstep-pack-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

type Config = {
  asarUnpack: string[]
  linux: { target: string[] }
  mac: { target: string }
  win: { target: string }
  afterPack: string
  asar: boolean
  files: unknown[]
  extraResources: { from: string; to: string }[]
}

describe('electron-builder.yml', () => {
  it('passes electron-builder validation and unpacks sharp, @img and better-sqlite3', async () => {
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config')
    const { DebugLogger } = require('builder-util')
    const config = (await getConfig(root, null, null)) as Config
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined()
    expect(config.asar).toBe(true)
    for (const mod of ['sharp', '@img', 'better-sqlite3']) expect(config.asarUnpack).toContain(`**/node_modules/${mod}/**`)
    expect(config.linux.target).toEqual(['AppImage', 'deb'])
    expect(config.mac.target).toBe('dmg')
    expect(config.win.target).toBe('nsis')
    expect(config.afterPack).toBe('scripts/after-pack.cjs')
    expect(JSON.stringify(config.files)).toContain('"out/**"')
    // the native decoders ship beside out/ (src/main/io/native.ts looks up from out/main) and are unpacked
    expect(JSON.stringify(config.files)).toContain('"native/decoders/build/Release/decoders.node"')
    expect(config.asarUnpack).toContain('**/*.node')
    expect(config.extraResources).toContainEqual({ from: 'resources/sample', to: 'sample' })
    expect(config.extraResources).toContainEqual({ from: '.electron-sqlite/better_sqlite3.node', to: 'electron-sqlite/better_sqlite3.node' })
    // node_modules holds the Node build of better-sqlite3 that tests use: never rebuilt in place
    expect((config as unknown as { npmRebuild: boolean }).npmRebuild).toBe(false)
    // an invalid key is caught by the same validation, so the check above can fail
    await expect(validateConfiguration({ ...config, notAnOption: 1 }, new DebugLogger(false))).rejects.toThrow(/notAnOption/)
  })
})

describe('afterPack fuses', () => {
  it('turns RunAsNode, NODE_OPTIONS and --inspect off and asar-only + integrity on in the packaged binary', async () => {
    const { SENTINEL, FuseState } = require('@electron/fuses/dist/constants')
    const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses')
    const hook = require(join(root, 'scripts/after-pack.cjs'))
    // A stand-in executable carrying Electron's fuse wire (version 1, 8 fuses, all enabled).
    const exe = join(dir, 'lockstep')
    writeFileSync(
      exe,
      Buffer.concat([Buffer.from('\x7fELF...binary...'), Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from('11111111'), Buffer.from('...rest')]),
    )
    const context = { electronPlatformName: 'linux', appOutDir: dir, packager: { executableName: 'lockstep', appInfo: { productFilename: 'Lockstep' } } }
    expect(hook.executablePath(context)).toBe(exe)
    // refuses to produce an app without the Electron build of better-sqlite3
    await expect(hook.default(context)).rejects.toThrow(
      /electron-sqlite\/better_sqlite3\.node is missing: run `node scripts\/build-electron-sqlite\.mjs --strict`/,
    )
    mkdirSync(join(dir, 'resources', 'electron-sqlite'), { recursive: true })
    writeFileSync(join(dir, 'resources', 'electron-sqlite', 'better_sqlite3.node'), 'addon')
    await hook.default(context)
    const wire = await getCurrentFuseWire(exe)
    expect(wire[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE)
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE)
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.DISABLE)
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE)
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE)
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(FuseState.DISABLE)
    expect(readFileSync(exe).subarray(-7).toString()).toBe('...rest')
    expect(hook.executablePath({ ...context, electronPlatformName: 'win32' })).toBe(join(dir, 'Lockstep.exe'))
    expect(hook.executablePath({ ...context, electronPlatformName: 'darwin' })).toBe(join(dir, 'Lockstep.app'))
  })
})
