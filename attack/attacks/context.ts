// What every attack gets from attacker.ts: its arguments, the libp2p host, the chain's ids, and
// a way to count what it sent. Attacks run until `running()` turns false (the deadline passed or
// the runner said stop), and must not wait on anything without a deadline.

import type { Host } from '../host.ts'
import { type Chain, GOSSIP_KINDS, type GossipKind, fromHex, syncProtocol, topic } from '../wire.ts'

export interface AttackArgs {
  network: string
  /** Entity id, hex (docs/protocol.md 6.4; also visible in topic names). */
  entity: string
  /** Multiaddrs (with /p2p/<id>) of the nodes to attack. */
  targets: string[]
  /** Run for this long after the attack starts, unless stopped first. */
  durationMs: number
  /** Validators in the set (equal shares), for the proposer schedule. */
  validators: number
  /** far-round: the home of the validator whose key the attacker holds, and its index. */
  home?: string
  validatorIndex?: number
  /** Messages (or batches, or streams) per second, where the attack is paced; each has a default. */
  rate?: number
}

export interface AttackContext {
  args: AttackArgs
  host: Host
  chain: Chain
  topics: Record<GossipKind, string>
  syncProtocol: string
  running(): boolean
  /** Counts what was put on the wire (messages as the attack counts them, bytes over all targets). */
  sent(messages: number, bytes: number): void
  /** One line saying what was sent, for the report (the last call wins). */
  describe(what: string): void
  /** Sleeps, waking early when the attack ends. */
  sleep(ms: number): Promise<void>
  /** Waits while this process holds too much unsent data (libp2p queues writes without limit). */
  drain(): Promise<void>
}

export interface Attack {
  /** Whether the host runs gossipsub (attacks that write raw gossipsub frames do not). */
  gossip: boolean
  /** Topics to listen to. */
  listen?: GossipKind[]
  /** Work before the targets are dialled (handlers to register, keys to make). */
  setup?(ctx: AttackContext): Promise<void>
  run(ctx: AttackContext): Promise<void>
}

export function chainOf(args: AttackArgs): { chain: Chain; topics: Record<GossipKind, string>; syncProtocol: string } {
  const topics = Object.fromEntries(GOSSIP_KINDS.map((k) => [k, topic(args.network, args.entity, k)])) as Record<GossipKind, string>
  return { chain: { network: args.network, entity: fromHex(args.entity) }, topics, syncProtocol: syncProtocol(args.network) }
}

/**
 * Calls `step` about `perSecond` times a second until the attack ends; `step` returns false to
 * stop early. Yields to the event loop between steps so libp2p gets to write.
 */
export async function paced(ctx: AttackContext, perSecond: number, step: (i: number) => Promise<boolean | void> | boolean | void): Promise<number> {
  const start = Date.now()
  let i = 0
  while (ctx.running()) {
    if ((await step(i)) === false) break
    i++
    await ctx.drain()
    const due = start + (i * 1000) / perSecond
    const wait = due - Date.now()
    await (wait > 0 ? ctx.sleep(wait) : new Promise((resolve) => setImmediate(resolve)))
  }
  return i
}

/** Waits until the connected targets are seen subscribed to every topic, or `ms` passes. */
export async function awaitSubscriptions(ctx: AttackContext, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const connected = ctx.host.connected()
    if (connected.length > 0 && Object.values(ctx.topics).every((t) => connected.every((p) => ctx.host.subscribers(t).includes(p)))) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
