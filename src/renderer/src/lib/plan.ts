/** Pretty JSON of a plan for display: long arrays and serialised Buffers are elided. */
export function formatPlan(plan: unknown, maxArray = 12): string {
  return JSON.stringify(
    plan,
    (_key, value: unknown) => {
      if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
        return `<${(value as { data: unknown[] }).data.length} bytes>`
      }
      if (Array.isArray(value) && value.length > maxArray) return `[${value.length} items]`
      return value
    },
    1,
  )
}
