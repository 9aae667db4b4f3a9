/** Pretty JSON of a plan for display: long arrays and serialised Buffers are elided. */
export function formatPlan(plan: unknown, maxArray = 12): string {
  return JSON.stringify(
    plan,
    (_key, value: unknown) => {
      if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
        return `<${(value as { data: unknown[] }).data.length} bytes>`
      }
      if (Array.isArray(value) && value.length > maxArray) return `[${value.length} items]`
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const n = Object.keys(value).length
        if (n > 64) return `{${n} entries}` // a typed array serialised as an object
      }
      return value
    },
    1,
  )
}
