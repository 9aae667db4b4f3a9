// Which view is showing, kept in the URL hash so reloads and tests land on the same view.
import { defineStore } from 'pinia'
import { ref, watch } from 'vue'

export const VIEWS = ['catalog', 'inspector', 'recipes', 'preview', 'export', 'stats'] as const
export type ViewName = (typeof VIEWS)[number]

function fromHash(hash: string): ViewName | null {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0]
  return (VIEWS as readonly string[]).includes(name ?? '') ? (name as ViewName) : null
}

export const useUiStore = defineStore('ui', () => {
  const view = ref<ViewName>((typeof window !== 'undefined' && fromHash(window.location.hash)) || 'catalog')

  function go(name: ViewName): void {
    view.value = name
  }
  if (typeof window !== 'undefined') {
    watch(view, (v) => {
      if (fromHash(window.location.hash) !== v) history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/${v}`)
    })
    window.addEventListener('hashchange', () => {
      const v = fromHash(window.location.hash)
      if (v) view.value = v
    })
  }
  return { view, go }
})
