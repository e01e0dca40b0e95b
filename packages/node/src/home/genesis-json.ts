// The genesis as operators see it: a JSON file with hex strings, converted to and from core's
// Genesis. Conversion checks everything core checks (proofs of possession included).

import { type EntityParams, type Genesis, fromHex, makeGenesis, toHex } from '@p2pnode/core'
import { describeValue } from '../describe-value.ts'

export interface GenesisJson {
  network: string
  /** ISO 8601 time, or milliseconds since the epoch. */
  time: string | number
  validators: Array<{ publicKey: string; account: string; shares: number; proofOfPossession: string; name?: string }>
  threshold?: { numerator: number; denominator: number }
  /** Any of core's EntityParams (each name is checked against them); the rest keep their defaults. */
  params?: Partial<EntityParams>
}

export function genesisToJson(g: Genesis, names: string[] = []): GenesisJson {
  return {
    network: g.network,
    time: new Date(g.time).toISOString(),
    validators: g.validators.map((v, i) => ({
      ...(names[i] ? { name: names[i] } : {}),
      publicKey: toHex(v.publicKey),
      account: toHex(v.account),
      shares: v.shares,
      proofOfPossession: toHex(v.proofOfPossession),
    })),
    threshold: g.threshold,
    params: g.params,
  }
}

/**
 * Reads a genesis file's JSON. Every field is checked for its type before use (the file is
 * operator-edited and copied between machines: a damaged one must give a message naming the field,
 * never a TypeError); what core checks (ranges, proofs of possession) it checks after.
 */
export function genesisFromJson(json: GenesisJson): Genesis {
  if (!isObject(json)) throw new Error('genesis: not a JSON object')
  if (typeof json.network !== 'string') throw new Error(`genesis.network: must be a string, got ${describeValue(json.network)}`)
  if (!Array.isArray(json.validators)) throw new Error('genesis.validators: must be a list')
  if (typeof json.time !== 'number' && typeof json.time !== 'string') throw new Error(`genesis.time: must be an ISO time or milliseconds, got ${describeValue(json.time)}`)
  const time = typeof json.time === 'number' ? json.time : Date.parse(json.time)
  if (!Number.isSafeInteger(time) || time < 0) throw new Error(`genesis.time: not a time: ${describeValue(json.time)}`)
  const hex = (value: unknown, field: string) => {
    if (typeof value !== 'string') throw new Error(`${field}: must be a hex string`)
    try {
      return fromHex(value)
    } catch {
      throw new Error(`${field}: not hex`)
    }
  }
  const validators = json.validators.map((v: unknown, i) => {
    const field = `genesis.validators[${i}]`
    if (!isObject(v)) throw new Error(`${field}: must be an object`)
    if (typeof v['shares'] !== 'number') throw new Error(`${field}.shares: must be a number, got ${describeValue(v['shares'])}`)
    return {
      publicKey: hex(v['publicKey'], `${field}.publicKey`),
      account: hex(v['account'], `${field}.account`),
      shares: v['shares'],
      proofOfPossession: hex(v['proofOfPossession'], `${field}.proofOfPossession`),
    }
  })
  const t = json.threshold === undefined ? undefined : numbers(json.threshold, 'genesis.threshold', ['numerator', 'denominator'])
  const threshold = t ? { numerator: t['numerator']!, denominator: t['denominator']! } : undefined
  const base = makeGenesis({ network: json.network, time, validators, ...(threshold ? { threshold } : {}) })
  if (json.params === undefined) return base
  const params = numbers(json.params, 'genesis.params', Object.keys(base.params), true)
  return makeGenesis({ ...base, params: { ...base.params, ...params } })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** An object of numbers under `keys` (all of them, or some when `partial`), and nothing else. */
function numbers(value: unknown, field: string, keys: string[], partial = false): Record<string, number> {
  if (!isObject(value)) throw new Error(`${field}: must be an object`)
  const out: Record<string, number> = {}
  for (const [key, v] of Object.entries(value)) {
    if (!keys.includes(key)) throw new Error(`${field}.${key}: unknown (known: ${keys.join(', ')})`)
    if (typeof v !== 'number') throw new Error(`${field}.${key}: must be a number, got ${describeValue(v)}`)
    out[key] = v
  }
  if (!partial) for (const key of keys) if (!(key in out)) throw new Error(`${field}.${key}: missing`)
  return out
}
