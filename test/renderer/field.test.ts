// @vitest-environment happy-dom
// BaseField ties its control to its label and to its error: a screen reader reads the label as
// the control's name and announces the error with it (aria-invalid, aria-describedby naming the
// error line, which is role="alert"); without an error the hint describes the control instead.
import { afterEach, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { h } from 'vue'
import BaseField from '../../src/renderer/src/components/base/BaseField.vue'

let wrapper: VueWrapper | null = null
afterEach(() => {
  wrapper?.unmount()
  wrapper = null
})

function field(props: { error?: string; hint?: string }, action = false): VueWrapper {
  wrapper = mount(BaseField, {
    props: { label: 'Images folder', aside: 'absolute', testid: 'images', ...props },
    slots: {
      default: (control: Record<string, unknown>) => h('input', { ...control, type: 'text', 'data-testid': 'images' }),
      ...(action ? { action: () => h('button', { type: 'button', 'data-testid': 'browse' }, 'Browse…') } : {}),
    },
    attachTo: document.body,
  })
  return wrapper
}
const input = () => document.querySelector<HTMLInputElement>('[data-testid="images"]')!
/** The text of the elements aria-describedby names, as a screen reader would read them. */
const described = (el: Element) =>
  (el.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .filter(Boolean)
    .map((id) => document.getElementById(id)?.textContent ?? `(no element #${id})`)
    .join(' ')

describe('BaseField', () => {
  it('names the control by its label', () => {
    field({})
    const label = document.querySelector('label')!
    expect(input().id).not.toBe('')
    expect(label.htmlFor).toBe(input().id)
    expect(label.textContent).toBe('Images folder (absolute)')
  })

  it('announces the error: aria-invalid, aria-describedby pointing at the error text, role=alert', () => {
    field({ error: 'Give an absolute path', hint: 'a folder of images' })
    expect(input().getAttribute('aria-invalid')).toBe('true')
    expect(described(input())).toBe('Give an absolute path')
    const error = document.querySelector('[data-testid="images-error"]')!
    expect(error.getAttribute('role')).toBe('alert')
    expect(document.getElementById(input().getAttribute('aria-describedby')!)).toBe(error)
    // the hint gives way to the error
    expect(document.querySelector('[data-testid="images-hint"]')).toBeNull()
  })

  it('without an error: not invalid, described by the hint, or by nothing', async () => {
    const w = field({ hint: 'The folder will be created' })
    expect(input().getAttribute('aria-invalid')).toBe('false')
    expect(described(input())).toBe('The folder will be created')
    expect(document.querySelector('[role="alert"]')).toBeNull()
    await w.setProps({ hint: undefined })
    expect(input().hasAttribute('aria-describedby')).toBe(false)
  })

  it('follows the error as it comes and goes', async () => {
    const w = field({})
    await w.setProps({ error: 'No such folder' })
    expect(input().getAttribute('aria-invalid')).toBe('true')
    expect(described(input())).toBe('No such folder')
    await w.setProps({ error: undefined })
    expect(input().getAttribute('aria-invalid')).toBe('false')
    expect(input().hasAttribute('aria-describedby')).toBe(false)
  })

  it('gives two fields of one form different ids, each described by its own error', () => {
    const control = (c: object) => h('input', c)
    wrapper = mount(
      { render: () => [h(BaseField, { label: 'A', error: 'x' }, { default: control }), h(BaseField, { label: 'B', error: 'y' }, { default: control })] },
      { attachTo: document.body },
    )
    const [x, y] = [...document.querySelectorAll('input')]
    expect(x.id).not.toBe(y.id)
    expect(described(x)).toBe('x')
    expect(described(y)).toBe('y')
  })

  it('puts an action beside the control, inside the same row', () => {
    field({}, true)
    const browse = document.querySelector('[data-testid="browse"]')!
    expect(browse.parentElement).toBe(input().parentElement)
    expect(browse.parentElement!.classList.contains('pick')).toBe(true)
  })
})
