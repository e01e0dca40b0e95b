// Fixed hostile inputs run once per fuzz run besides the random cases: nesting deep enough to
// overflow a recursive decoder's stack, and a list of more items than a call can take as arguments. They are not drawn at random because with the current
// RLP decoder (which copies the remainder at every level) each costs up to seconds; a failing
// probe is saved by its description, not its bytes, and shrunk to the smallest failing depth.

import type { Bytes } from '../../packages/core/src/bytes.ts'
import type { Decoder } from './decoder.ts'
import { header, nest } from './mutations.ts'

export interface Probe {
  /**
   * nest-empty: an empty list inside `depth` lists; nest-seed: the first seed inside them;
   * json-nest: `depth` nested JSON arrays; wide: one list of `depth` empty lists.
   */
  kind: 'nest-empty' | 'nest-seed' | 'json-nest' | 'wide'
  depth: number
}

export type ProbeLevel = 'none' | 'light' | 'full'

export function probesFor(d: Decoder, level: ProbeLevel): Probe[] {
  if (level === 'none' || d.format === 'raw') return []
  if (d.format === 'json') return level === 'light' ? [{ kind: 'json-nest', depth: 1000 }] : [{ kind: 'json-nest', depth: 1000 }, { kind: 'json-nest', depth: 100_000 }]
  if (level === 'light') return [{ kind: 'nest-empty', depth: 1000 }, { kind: 'nest-seed', depth: 100 }]
  // 10,000 levels overflow the stack of a recursive decoder; deeper costs the current decoder
  // tens of seconds (quadratic copying) and shows nothing new
  return [
    { kind: 'nest-empty', depth: 1000 },
    { kind: 'nest-empty', depth: 10_000 },
    { kind: 'nest-seed', depth: 10_000 },
    { kind: 'wide', depth: 200_000 },
  ]
}

export function probeBytes(d: Decoder, p: Probe): Bytes {
  switch (p.kind) {
    case 'nest-empty':
      return nest(new Uint8Array(0), p.depth)
    case 'nest-seed':
      return nest(d.seeds[0]!, p.depth)
    case 'wide': {
      const h = header(p.depth, true)
      const out = new Uint8Array(h.length + p.depth).fill(0xc0)
      out.set(h)
      return out
    }
    case 'json-nest':
      return new TextEncoder().encode('['.repeat(p.depth) + ']'.repeat(p.depth))
  }
}

export function describeProbe(p: Probe): string {
  return `${p.kind} ${p.depth}`
}
