// Real HTTP and WebSocket requests with full control of Host, Origin and Cookie headers.
import { request } from 'node:http'
import { WebSocket } from 'ws'
import type { ServerMessage } from '../../src/shared/wire'
import type { Catalog } from '../../src/main/catalog/catalog'
import type { CatalogHandle, SampleRef } from '../../src/main/catalog/types'

export interface HttpResult {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/** A raw request: `path` goes on the request line untouched (no URL normalisation). */
export function http(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers }, setHost: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Opens a WebSocket; resolves with the socket or with the HTTP status the upgrade was refused with. */
export function openSocket(url: string, headers: Record<string, string> = {}): Promise<{ ws?: WebSocket; refused?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve({ ws }))
    ws.once('unexpected-response', (_req, res) => {
      resolve({ refused: res.statusCode })
      res.resume()
    })
    ws.once('error', (err) => reject(err))
  })
}

/** Sends one call and waits for the reply with its id. */
export function call(ws: WebSocket, id: number, payload: unknown): Promise<ServerMessage & { type: 'reply' }> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as ServerMessage
      if (msg.type === 'reply' && msg.id === id) {
        ws.off('message', onMessage)
        resolve(msg)
      }
    }
    ws.on('message', onMessage)
    ws.send(typeof payload === 'string' ? payload : JSON.stringify(payload))
  })
}

/**
 * A catalog over fixed sample records: the CatalogHandle part of a Catalog (what media reads),
 * without SQLite; typed as a Catalog so a session can hold it (the doors' tests call nothing else).
 */
export function fakeCatalog(projectDir: string, samples: SampleRef[], roots: string[]): Catalog {
  const byId = new Map(samples.map((s) => [s.id, s]))
  const handle: CatalogHandle = {
    projectDir,
    getSample: (id) => byId.get(id),
    datasetRoots: () => roots,
    thumbnail: async (id, overlay) => Buffer.from(`catalog thumb ${id} ${overlay}`),
    close: () => {},
  }
  return handle as Catalog
}

export function sampleRef(id: number, key: string, imagePath: string, maskPath: string | null): SampleRef {
  return { id, key, imagePath, maskPath, width: 8, height: 6, imageHash: null, maskHash: null, error: null }
}
