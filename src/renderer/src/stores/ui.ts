// Which view is showing, kept in the URL hash so reloads and tests land on the same view.
import { defineStore } from 'pinia'
import { computed, ref, watch, watchEffect } from 'vue'
import { api } from '../api'
import { useProjectStore } from './project'
import { useCatalogStore } from './catalog'

export type ThemeChoice = 'system' | 'dark' | 'light'
const THEME_KEY = 'lockstep.theme'
function readChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(THEME_KEY)
    return v === 'dark' || v === 'light' ? v : 'system'
  } catch {
    return 'system'
  }
}

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
  /** Set by the desktop menu's Import command; the catalog view opens its import dialog. */
  const importRequested = ref(0)
  let following = false
  /** Follows the native menu's commands (desktop app; browser mode never sends them). */
  function followCommands(): void {
    if (following) return
    following = true
    api.on('app.command', ({ command }) => {
      if (command === 'import') {
        view.value = 'catalog'
        importRequested.value++
      } else if (command === 'export') view.value = 'export'
      else if (command === 'project-opened') {
        view.value = 'catalog'
        void useProjectStore().load()
        void useCatalogStore().reload()
      }
    })
  }

  // ------------------------------------------------------------- theme
  /** The user's choice; 'system' follows the system setting (and its changes) live. */
  const themeChoice = ref<ThemeChoice>(typeof window === 'undefined' ? 'system' : readChoice())
  const media = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: light)') : null
  const systemLight = ref(!!media?.matches)
  media?.addEventListener('change', (e) => (systemLight.value = e.matches))
  const theme = computed<'dark' | 'light'>(() => (themeChoice.value === 'system' ? (systemLight.value ? 'light' : 'dark') : themeChoice.value))
  if (typeof document !== 'undefined') watchEffect(() => (document.documentElement.dataset.theme = theme.value))
  function setTheme(choice: ThemeChoice): void {
    themeChoice.value = choice
    try {
      localStorage.setItem(THEME_KEY, choice)
    } catch {
      /* not remembered: the choice lasts until the page goes */
    }
  }

  return { view, go, importRequested, followCommands, themeChoice, theme, setTheme }
})
