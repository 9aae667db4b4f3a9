// The page's globals, typed for the callbacks the node tests hand to Playwright's page.evaluate and
// page.waitForFunction (those run in the page; tsconfig.node.json has no DOM library). Only the
// members the tests touch.
import type { LockstepBridge } from '../../src/shared/bridge'

export interface PageElement {
  textContent: string | null
  getAttribute(name: string): string | null
  querySelector(selector: string): PageElement | null
  click(): void
  /** <img> */
  src: string
  complete: boolean
  naturalWidth: number
  /** <canvas> */
  width: number
  height: number
}

export interface PageDocument {
  cookie: string
  querySelector(selector: string): PageElement | null
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>
}

export interface PageWindow {
  lockstep: LockstepBridge
  open(url: string): unknown
}

export interface PageImage {
  onload: (() => void) | null
  onerror: (() => void) | null
  src: string
}
