// The attacks of issue 10 as the runner sees them: which validators each attacker connects to,
// and whether what it sends is invalid (then every target must ban it). attack/attacker.ts holds
// the attacks themselves.

export interface AttackSpec {
  name: string
  /** Indices of the validators the attacker dials (and only those). */
  targets: number[]
  /** Sends invalid data: then every target must ban the attacker within the ban deadline. */
  invalid: boolean
  /** Why it counts as invalid data or not. */
  why: string
  /** far-round: the validator whose home (and key) the attacker reads. */
  holdsKeyOf?: number
}

const ALL = [0, 1, 2, 3]
/** Two of four equal validators: more than a third of the shares. */
const OVER_A_THIRD = [0, 1]

export const CATALOG: AttackSpec[] = [
  { name: 'subs-flood', targets: ALL, invalid: false, why: 'subscribing to unknown topics is legal gossipsub: abuse of resources, not invalid data' },
  { name: 'sync-liar-empty', targets: OVER_A_THIRD, invalid: true, why: 'claims a height it never serves (empty answers to blocks it claimed)' },
  { name: 'sync-liar-slow', targets: OVER_A_THIRD, invalid: true, why: 'claims a height it never serves (empty answers, each just before the timeout)' },
  { name: 'replay', targets: ALL, invalid: false, why: 'genuine signed proposals and votes, only repeated' },
  { name: 'next-height-votes', targets: ALL, invalid: true, why: 'no signature verifies' },
  { name: 'tx-bad-sig', targets: ALL, invalid: true, why: 'no signature verifies' },
  { name: 'tx-nonce-gap', targets: ALL, invalid: false, why: 'validly signed; a nonce gap is not admissible now but not invalid' },
  { name: 'rlp-bombs', targets: ALL, invalid: true, why: 'no message decodes as the topic (or request) requires' },
  { name: 'far-round', targets: ALL, invalid: true, why: 'every block has a wrong state root; 3 in 4 proposals come from a validator not scheduled for the round', holdsKeyOf: 3 },
  { name: 'garbage-streams', targets: ALL, invalid: true, why: 'random bytes are no valid message of identify, kad-dht, meshsub or sync' },
]
