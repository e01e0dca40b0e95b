// An attacker process: `node --conditions=p2pnode-source --import tsx attack/attacker.ts <attack> '<json args>'`.
// Built on public npm packages and attack/wire.ts only (docs/protocol.md), nothing from the
// node's code. It dials its targets, runs one attack until its time is up or it is told to stop
// (SIGTERM), and reports on stdout, one JSON object a line:
//   {"event":"ready","peerId":...,"connected":[...]}     the attack starts now
//   {"event":"progress","sent":n,"bytes":b,"what":...,"connected":[...]}   every second
//   {"event":"done",...}  or  {"event":"error","message":...}

import './with-resolvers.ts'
import { type Attack, type AttackArgs, type AttackContext, awaitSubscriptions, chainOf } from './attacks/context.ts'
import { farRound } from './attacks/far-round.ts'
import { garbageStreams } from './attacks/garbage-streams.ts'
import { nextHeightVotes } from './attacks/next-height-votes.ts'
import { replay } from './attacks/replay.ts'
import { rlpBombs } from './attacks/rlp-bombs.ts'
import { subsFlood } from './attacks/subs-flood.ts'
import { syncLiarEmpty, syncLiarSlow } from './attacks/sync-liar.ts'
import { txBadSig, txNonceGap } from './attacks/tx-flood.ts'
import { Host } from './host.ts'

export const ATTACKS: Record<string, Attack> = {
  'subs-flood': subsFlood,
  'sync-liar-empty': syncLiarEmpty,
  'sync-liar-slow': syncLiarSlow,
  replay,
  'next-height-votes': nextHeightVotes,
  'tx-bad-sig': txBadSig,
  'tx-nonce-gap': txNonceGap,
  'rlp-bombs': rlpBombs,
  'far-round': farRound,
  'garbage-streams': garbageStreams,
}

/** This process's own unsent data above which an attack waits (libp2p queues writes without bound). */
const MAX_QUEUED_BYTES = 512 * 1024 * 1024
/** Longest setup (keys, dialling, subscriptions) before the attack must start. */
const SETUP_MS = 60_000
const STOP_GRACE_MS = 3_000

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`)
}

async function main(): Promise<void> {
  const [name, json] = process.argv.slice(2)
  const attack = name === undefined ? undefined : ATTACKS[name]
  if (!attack || json === undefined) throw new Error(`usage: attacker.ts <${Object.keys(ATTACKS).join('|')}> '<json args>'`)
  const args = JSON.parse(json) as AttackArgs
  const setupTimer = setTimeout(() => fail(new Error(`setup took over ${SETUP_MS} ms`)), SETUP_MS)

  const host = await Host.start({ targets: args.targets, gossip: attack.gossip })
  let stopped = false
  let deadline = Number.POSITIVE_INFINITY
  const wakers = new Set<() => void>()
  const totals = { sent: 0, bytes: 0, what: '' }
  const ctx: AttackContext = {
    args,
    host,
    ...chainOf(args),
    running: () => !stopped && Date.now() < deadline,
    sent: (messages, bytes) => {
      totals.sent += messages
      totals.bytes += bytes
    },
    describe: (what) => {
      totals.what = what
    },
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer)
          wakers.delete(wake)
          resolve()
        }
        const timer = setTimeout(wake, Math.max(0, Math.min(ms, deadline - Date.now())))
        wakers.add(wake)
      }),
    drain: async () => {
      while (!stopped && process.memoryUsage().arrayBuffers > MAX_QUEUED_BYTES) await new Promise((resolve) => setTimeout(resolve, 20))
    },
  }
  const report = (event: string) => emit({ event, sent: totals.sent, bytes: totals.bytes, what: totals.what, connected: host.connected() })

  let finishing = false
  const finish = async (event: string) => {
    if (finishing) return
    finishing = true
    stopped = true
    for (const wake of [...wakers]) wake()
    report(event)
    setTimeout(() => process.exit(0), STOP_GRACE_MS).unref()
    await host.stop().catch(() => {})
    process.exit(0)
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void finish('done'))

  await attack.setup?.(ctx)
  const connected = await host.dialAll()
  if (connected.length === 0) throw new Error(`could not reach any of ${args.targets.length} targets`)
  if (attack.gossip) {
    host.subscribe((attack.listen ?? []).map((k) => ctx.topics[k]))
    await awaitSubscriptions(ctx)
  }
  clearTimeout(setupTimer)
  deadline = Date.now() + args.durationMs
  emit({ event: 'ready', peerId: host.id, connected })
  const progress = setInterval(() => report('progress'), 1_000)

  try {
    await attack.run(ctx)
  } catch (err) {
    emit({ event: 'error', message: (err as Error).stack ?? String(err) })
  }
  // an attack that ran out of things to send stays connected: the runner is still watching
  while (ctx.running()) await ctx.sleep(1_000)
  clearInterval(progress)
  await finish('done')
}

function fail(err: Error): never {
  emit({ event: 'error', message: err.stack ?? err.message })
  process.exit(2)
}

main().catch((err: Error) => fail(err))
