// FileBatch (src/main/export/files.ts): whole files written under temporary names, fsync'd, then
// renamed, in one native job or through fs.promises (LOCKSTEP_NATIVE_FILES=0). Both must leave
// only complete files under final names, name the file that failed and leave no temporary file,
// with the kernel's own errors: a full disk (/dev/full) and a path that cannot be created.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { FileBatch, PARTIAL_SUFFIX } from '../../src/main/export/files'
import { loadAddon } from '../../src/main/io/native'
import { LockstepError } from '../../src/shared/errors'

const root = mkdtempSync(join(tmpdir(), 'lockstep-files-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
afterEach(() => {
  delete process.env.LOCKSTEP_NATIVE_FILES
})

const { addon, why } = loadAddon()
if (!addon) console.log(`FileBatch: native writer tests skipped: ${why}`)
const ways = [...(addon ? [['native', '1']] : []), ['fs.promises', '0']] as const

const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255))

for (const [way, flag] of ways) {
  describe(`FileBatch (${way})`, () => {
    it('writes every file complete under its final name, none before commit, no temporary left', async () => {
      process.env.LOCKSTEP_NATIVE_FILES = flag
      const dir = mkdtempSync(join(root, 'ok-'))
      const b = new FileBatch()
      const files = Array.from({ length: 40 }, (_, i) => [join(dir, `f${i}.bin`), bytes(1000 + i * 997, i)] as const)
      for (const [p, d] of files) b.add(p, d)
      expect(b.size).toBe(40)
      expect(b.bytes).toBe(files.reduce((s, [, d]) => s + d.length, 0))
      expect(readdirSync(dir)).toEqual([])
      writeFileSync(files[3][0], 'an older file under the final name is replaced')
      await b.commit()
      expect(b.size).toBe(0)
      for (const [p, d] of files) expect(readFileSync(p).equals(d), p).toBe(true)
      expect(readdirSync(dir).filter((n) => n.endsWith(PARTIAL_SUFFIX))).toEqual([])
      await new FileBatch().commit() // an empty batch is fine
    })

    it('a full disk on one file (its temporary name leads to /dev/full) fails with DISK_FULL naming it, and leaves nothing of the batch', async () => {
      process.env.LOCKSTEP_NATIVE_FILES = flag
      const dir = mkdtempSync(join(root, 'full-'))
      const b = new FileBatch()
      const names = ['a.bin', 'b.bin', 'victim.bin', 'd.bin']
      for (const [i, n] of names.entries()) b.add(join(dir, n), bytes(50_000, i))
      symlinkSync('/dev/full', join(dir, 'victim.bin' + PARTIAL_SUFFIX))
      const err = await b.commit().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(LockstepError)
      expect((err as LockstepError).code).toBe('DISK_FULL')
      expect((err as LockstepError).message).toContain(join(dir, 'victim.bin'))
      expect(readdirSync(dir)).toEqual([])
    })

    it('a file whose folder cannot exist fails naming it, and earlier files of the batch are not left behind', async () => {
      process.env.LOCKSTEP_NATIVE_FILES = flag
      const dir = mkdtempSync(join(root, 'bad-'))
      writeFileSync(join(dir, 'plain'), 'a file, not a folder')
      mkdirSync(join(dir, 'ok'))
      const b = new FileBatch()
      b.add(join(dir, 'ok', 'first.bin'), bytes(10, 1))
      b.add(join(dir, 'plain', 'second.bin'), bytes(10, 2))
      const err = await b.commit().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(LockstepError)
      expect((err as LockstepError).message).toContain(join(dir, 'plain')) // the file, or the folder that cannot be made
      expect(readdirSync(join(dir, 'ok'))).toEqual([])
      expect(existsSync(join(dir, 'plain', 'second.bin'))).toBe(false)
    })
  })
}
