// A value from an operator's file (config, genesis), named in an error message. The file can hold
// anything, a value nested thousands deep included: the description stays short and never walks it.

export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `a list of ${value.length}`
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)
  return String(value)
}
