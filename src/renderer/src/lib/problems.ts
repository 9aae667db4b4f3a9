// Recipe problems in the list's own words: the schema says `ops[4].degrees`, the editor shows the
// steps numbered from 1, so a problem reads "Step 5 · Rotate · Degrees: expected ...".
import { OP_CATALOG, type OpType } from '@shared/recipe'

const HEADER: Record<string, string> = {
  'output.width': 'Output width',
  'output.height': 'Output height',
  'mask.ignoreIndex': 'Mask fill (ignore index)',
  schema: 'Schema',
  name: 'Name',
  '(recipe)': 'Recipe',
}

/** `ops[4].degrees` -> "Step 5 · Rotate · Degrees" (the op's label from the draft it belongs to). */
export function describePath(path: string, ops: readonly { type?: unknown }[]): string {
  const m = /^ops\[(\d+)\](?:\.(\w+))?/.exec(path)
  if (!m) return HEADER[path] ?? path
  const i = Number(m[1])
  const type = ops[i]?.type
  const spec = typeof type === 'string' && type in OP_CATALOG ? OP_CATALOG[type as OpType] : undefined
  const parts = [`Step ${i + 1}`]
  if (spec) parts.push(spec.label)
  const param = m[2]
  if (param)
    parts.push(
      param === 'p' ? 'Probability' : param === 'type' ? 'Type' : ((spec?.params as Record<string, { label: string }> | undefined)?.[param]?.label ?? param),
    )
  return parts.join(' · ')
}

/** "ops[4].degrees: expected ..." -> "Step 5 · Rotate · Degrees: expected ..." */
export function describeProblem(problem: string, ops: readonly { type?: unknown }[]): string {
  const i = problem.indexOf(': ')
  if (i < 0) return problem
  return `${describePath(problem.slice(0, i), ops)}: ${problem.slice(i + 2)}`
}
