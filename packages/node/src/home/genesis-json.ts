// The genesis as operators see it: a JSON file with hex strings, converted to and from core's
// Genesis. Conversion checks everything core checks (proofs of possession included).

import { type Genesis, fromHex, makeGenesis, toHex } from '@p2pnode/core'

export interface GenesisJson {
  network: string
  /** ISO 8601 time, or milliseconds since the epoch. */
  time: string | number
  validators: Array<{ publicKey: string; account: string; shares: number; proofOfPossession: string; name?: string }>
  threshold?: { numerator: number; denominator: number }
  params?: { proposalExpiry?: number; maxBlockTxs?: number; maxBlockBytes?: number }
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

export function genesisFromJson(json: GenesisJson): Genesis {
  if (typeof json !== 'object' || json === null) throw new Error('genesis: not a JSON object')
  if (!Array.isArray(json.validators)) throw new Error('genesis.validators: must be a list')
  const time = typeof json.time === 'number' ? json.time : Date.parse(json.time)
  if (!Number.isSafeInteger(time) || time < 0) throw new Error(`genesis.time: not a time: ${JSON.stringify(json.time)}`)
  const hex = (value: unknown, field: string) => {
    if (typeof value !== 'string') throw new Error(`${field}: must be a hex string`)
    try {
      return fromHex(value)
    } catch {
      throw new Error(`${field}: not hex`)
    }
  }
  const base = makeGenesis({
    network: json.network,
    time,
    validators: json.validators.map((v, i) => ({
      publicKey: hex(v.publicKey, `genesis.validators[${i}].publicKey`),
      account: hex(v.account, `genesis.validators[${i}].account`),
      shares: v.shares,
      proofOfPossession: hex(v.proofOfPossession, `genesis.validators[${i}].proofOfPossession`),
    })),
    ...(json.threshold ? { threshold: json.threshold } : {}),
  })
  return json.params ? makeGenesis({ ...base, params: { ...base.params, ...json.params } }) : base
}
