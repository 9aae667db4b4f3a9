// A plan rendered twice, with the native op kernels and with the JS references (the engine's "one
// truth" rule: the two must give the same bytes).
import { renderLoaded, type LoadedPair, type Plan } from '../../src/main/augment'
import { useNativeOps } from '../../src/main/augment/fast'

export async function renderNativeAndJs(p: Plan, l: LoadedPair) {
  useNativeOps(true)
  const a = (await renderLoaded(p, l, { raw: true })).raw!
  useNativeOps(false)
  const b = (await renderLoaded(p, l, { raw: true })).raw!
  useNativeOps(true)
  return { a, b }
}
