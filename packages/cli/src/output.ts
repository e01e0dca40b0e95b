// Printing for people (aligned tables, short ids, human durations) and for scripts (--json).
// Text for people never carries a control character from the node: values come from the API,
// and some (a peer's agent, a stored value) from whoever wrote them; an escape sequence printed
// raw would drive the operator's terminal. `printable` shows them as visible escapes instead;
// JSON output escapes the ones JSON.stringify leaves raw (DEL, C1, bidi), as \uXXXX.

/** C0 and C1 controls, DEL, and the Unicode bidi and line/paragraph separators. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
/** The same without C0, which JSON.stringify escapes itself (and whose \n is the layout's). */
const UNPRINTABLE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

export function printJson(value: unknown): void {
  // outside C0 these can only be inside strings, where \uXXXX means the same character
  const text = JSON.stringify(value, null, 2).replace(UNPRINTABLE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  process.stdout.write(`${text}\n`)
}

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** The text with every control character shown as an escape (`\n`, `\x1b`, `\u202e`). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0)
    return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
  })
}

/** One line of text, made printable. */
export function printLine(text: string): void {
  process.stdout.write(`${printable(text)}\n`)
}

/** An aligned table with a header row; cells are strings already (made printable here). */
export function printTable(headers: string[], rows: string[][]): void {
  const safe = rows.map((row) => row.map(printable))
  const widths = headers.map((h, i) => Math.max(h.length, ...safe.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')
  process.stdout.write(`${line(headers)}\n`)
  for (const row of safe) process.stdout.write(`${line(row)}\n`)
}

/** Key: value lines, keys aligned (values made printable). */
export function printFields(fields: Array<[string, string]>): void {
  const width = Math.max(...fields.map(([k]) => k.length))
  for (const [k, v] of fields) process.stdout.write(`${`${k}:`.padEnd(width + 1)} ${printable(v)}\n`)
}

export function shortId(id: string, head = 8, tail = 6): string {
  return id.length <= head + tail + 1 ? id : `${id.slice(0, head)}…${id.slice(-tail)}`
}

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-'
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`
}

/** A time in the machine's time zone as ISO 8601 with its offset: 2025-06-01T14:03:09+02:00. */
export function localTime(ms: number): string {
  const d = new Date(ms)
  const pad = (n: number, width = 2) => String(n).padStart(width, '0')
  const offset = -d.getTimezoneOffset()
  const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`
}
