// Mutations of valid encodings, each a plain value drawn by fast-check (so a failing case shrinks
// to fewer, smaller mutations). Three layers, applied in order to a seed:
//   tree:   on the decoded RLP tree (wrap, unwrap, drop, duplicate, swap, change an item's type,
//           replace or resize a leaf), then re-encoded canonically;
//   header: on the encoded bytes, at an item's header (wrong length, non-minimal long form, a
//           single byte in a string header, a huge claimed length, list/string type swapped);
//   bytes:  blind edits (bit flips, substitutions, truncation, extension, chunk copy/removal).
// Deep nesting is built inside out without recursion, so the generator itself never overflows.

import { RLP } from '@ethereumjs/rlp'
import { type Bytes, concat } from '../../packages/core/src/bytes.ts'
import { type RlpItem, encodeRlp } from '../../packages/core/src/codec/rlp.ts'

export type TreeMutation =
  | { op: 'replace'; at: number; item: RlpItem }
  | { op: 'wrap'; at: number }
  | { op: 'unwrap'; at: number }
  | { op: 'toBytes'; at: number }
  | { op: 'toList'; at: number }
  | { op: 'drop'; at: number }
  | { op: 'duplicate'; at: number }
  | { op: 'add'; at: number; item: RlpItem }
  | { op: 'swap'; at: number }
  | { op: 'resize'; at: number; length: number }

export type HeaderMutation =
  | { op: 'length'; at: number; delta: number }
  | { op: 'longForm'; at: number; zeros: number }
  | { op: 'hugeLength'; at: number; lengthOfLength: number; fill: number }
  | { op: 'swapType'; at: number }

export type ByteMutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'extend'; bytes: Bytes }
  | { op: 'insert'; at: number; bytes: Bytes }
  | { op: 'duplicate'; at: number; length: number }
  | { op: 'remove'; at: number; length: number }

export interface Mutations {
  tree: TreeMutation[]
  header: HeaderMutation[]
  bytes: ByteMutation[]
  /** Wraps the result in this many list headers (0: none). */
  nest: number
}

// ---- tree

/** The seed's tree, or undefined when it is not RLP (then only byte mutations apply). */
export function parseTree(bytes: Bytes): RlpItem | undefined {
  try {
    return RLP.decode(bytes) as RlpItem
  } catch {
    return undefined
  }
}

/** Every node of a tree in pre-order, with its parent list and index there. */
function nodes(root: RlpItem): Array<{ item: RlpItem; parent: RlpItem[] | undefined; index: number }> {
  const out: Array<{ item: RlpItem; parent: RlpItem[] | undefined; index: number }> = []
  const stack: Array<{ item: RlpItem; parent: RlpItem[] | undefined; index: number }> = [{ item: root, parent: undefined, index: 0 }]
  while (stack.length > 0) {
    const node = stack.pop()!
    out.push(node)
    if (Array.isArray(node.item)) {
      for (let i = node.item.length - 1; i >= 0; i--) stack.push({ item: node.item[i]!, parent: node.item, index: i })
    }
  }
  return out
}

function clone(item: RlpItem): RlpItem {
  return Array.isArray(item) ? item.map(clone) : item.slice()
}

export function mutateTree(seed: RlpItem, mutations: TreeMutation[]): RlpItem {
  let root = clone(seed)
  for (const m of mutations) {
    const all = nodes(root)
    const node = all[m.at % all.length]!
    const set = (item: RlpItem) => {
      if (node.parent) node.parent[node.index] = item
      else root = item
    }
    const list = Array.isArray(node.item) ? node.item : undefined
    switch (m.op) {
      case 'replace':
        set(m.item)
        break
      case 'wrap':
        set([node.item])
        break
      case 'unwrap':
        if (list) set(list[0] ?? new Uint8Array(0))
        break
      case 'toBytes':
        if (list) set(encodeRlp(list))
        break
      case 'toList':
        if (!list) set(Array.from(node.item as Bytes, (b) => new Uint8Array([b])))
        break
      case 'drop':
        if (node.parent) node.parent.splice(node.index, 1)
        break
      case 'duplicate':
        if (node.parent) node.parent.splice(node.index, 0, clone(node.item))
        break
      case 'add':
        if (list) list.splice(m.at % (list.length + 1), 0, m.item)
        break
      case 'swap':
        if (node.parent && node.parent.length > 1) {
          const j = (node.index + 1) % node.parent.length
          ;[node.parent[node.index], node.parent[j]] = [node.parent[j]!, node.parent[node.index]!]
        }
        break
      case 'resize':
        if (!list) {
          const bytes = new Uint8Array(m.length)
          bytes.set((node.item as Bytes).subarray(0, m.length))
          set(bytes)
        }
        break
    }
  }
  return root
}

// ---- headers

interface ItemAt {
  offset: number
  headerLength: number
  payloadLength: number
  list: boolean
}

/** The items of a canonical encoding, in order (tolerant: stops at the first thing it cannot read). */
export function scanItems(bytes: Bytes): ItemAt[] {
  const out: ItemAt[] = []
  let offset = 0
  while (offset < bytes.length && out.length < 10_000) {
    const item = readHeader(bytes, offset)
    if (!item) break
    out.push(item)
    // a list's payload holds its children, read next; a string's payload is skipped
    offset += item.list ? item.headerLength : item.headerLength + item.payloadLength
  }
  return out
}

function readHeader(bytes: Bytes, offset: number): ItemAt | undefined {
  const b = bytes[offset]!
  if (b < 0x80) return { offset, headerLength: 0, payloadLength: 1, list: false }
  if (b <= 0xb7) return { offset, headerLength: 1, payloadLength: b - 0x80, list: false }
  if (b <= 0xbf || (b >= 0xf8 && b <= 0xff)) {
    const n = b <= 0xbf ? b - 0xb7 : b - 0xf7
    if (offset + 1 + n > bytes.length) return undefined
    let length = 0
    for (let i = 0; i < n; i++) length = length * 256 + bytes[offset + 1 + i]!
    return { offset, headerLength: 1 + n, payloadLength: length, list: b >= 0xf8 }
  }
  return { offset, headerLength: 1, payloadLength: b - 0xc0, list: true }
}

function bigEndian(n: number, minLength = 0): number[] {
  const out: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256)
  while (out.length < minLength) out.unshift(0)
  return out
}

/** The canonical header of an item of this length and type. */
export function header(length: number, list: boolean): number[] {
  const short = list ? 0xc0 : 0x80
  if (length <= 55) return [short + length]
  const n = bigEndian(length)
  return [short + 55 + n.length, ...n]
}

function longHeader(length: number, list: boolean, zeros: number): number[] {
  const n = bigEndian(length, 1)
  for (let i = 0; i < zeros; i++) n.unshift(0)
  return [(list ? 0xf7 : 0xb7) + Math.min(n.length, 8), ...n.slice(0, 8)]
}

function replaceHeader(bytes: Bytes, item: ItemAt, next: number[]): Bytes {
  const out = new Uint8Array(bytes.length - item.headerLength + next.length)
  out.set(bytes.subarray(0, item.offset))
  out.set(next, item.offset)
  out.set(bytes.subarray(item.offset + item.headerLength), item.offset + next.length)
  return out
}

export function mutateHeaders(bytes: Bytes, mutations: HeaderMutation[]): Bytes {
  let out = bytes
  for (const m of mutations) {
    const items = scanItems(out)
    if (items.length === 0) break
    const item = items[m.at % items.length]!
    switch (m.op) {
      case 'length':
        out = replaceHeader(out, item, header(Math.max(0, item.payloadLength + m.delta), item.list))
        break
      case 'longForm':
        if (item.headerLength === 0) out = replaceHeader(out, item, [0x81]) // 0x81 xx: a single byte not encoded as itself
        else out = replaceHeader(out, item, longHeader(item.payloadLength, item.list, m.zeros))
        break
      case 'hugeLength': {
        const n = Math.min(Math.max(m.lengthOfLength, 1), 8)
        out = replaceHeader(out, item, [(item.list ? 0xf7 : 0xb7) + n, ...new Array<number>(n).fill(m.fill & 0xff)])
        break
      }
      case 'swapType':
        if (item.headerLength > 0) {
          const copy = out.slice()
          copy[item.offset] = copy[item.offset]! ^ 0x40 // 0x80.. <-> 0xc0..: string <-> list, same length
          out = copy
        }
        break
    }
  }
  return out
}

// ---- bytes

export function mutateBytes(bytes: Bytes, mutations: ByteMutation[]): Bytes {
  let out = bytes
  for (const m of mutations) {
    const n = out.length
    switch (m.op) {
      case 'flip':
        if (n > 0) {
          out = out.slice()
          out[m.at % n] = out[m.at % n]! ^ (1 << (m.bit & 7))
        }
        break
      case 'set':
        if (n > 0) {
          out = out.slice()
          out[m.at % n] = m.value & 0xff
        }
        break
      case 'truncate':
        out = out.subarray(0, n === 0 ? 0 : m.at % n)
        break
      case 'extend':
        out = concat(out, m.bytes)
        break
      case 'insert':
        out = concat(out.subarray(0, m.at % (n + 1)), m.bytes, out.subarray(m.at % (n + 1)))
        break
      case 'duplicate': {
        if (n === 0) break
        const start = m.at % n
        const chunk = out.subarray(start, start + m.length)
        out = concat(out.subarray(0, start), chunk, out.subarray(start))
        break
      }
      case 'remove': {
        if (n === 0) break
        const start = m.at % n
        out = concat(out.subarray(0, start), out.subarray(start + m.length))
        break
      }
    }
  }
  return out
}

/** `bytes` inside `depth` list headers, built from the inside out in O(depth). */
export function nest(bytes: Bytes, depth: number): Bytes {
  const headers: number[][] = []
  let length = bytes.length
  for (let i = 0; i < depth; i++) {
    const h = header(length, true)
    headers.push(h)
    length += h.length
  }
  const out = new Uint8Array(length)
  let offset = 0
  for (let i = headers.length - 1; i >= 0; i--) {
    out.set(headers[i]!, offset)
    offset += headers[i]!.length
  }
  out.set(bytes, offset)
  return out
}

export function applyMutations(seed: Bytes, m: Mutations): Bytes {
  let bytes = seed
  if (m.tree.length > 0) {
    const tree = parseTree(seed)
    if (tree !== undefined) bytes = encodeRlp(mutateTree(tree, m.tree))
  }
  bytes = mutateHeaders(bytes, m.header)
  bytes = mutateBytes(bytes, m.bytes)
  return m.nest > 0 ? nest(bytes, m.nest) : bytes
}
