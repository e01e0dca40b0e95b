// A testnet in homes: N validators (and M followers) with one shared genesis and bootstrap lists,
// for this machine (every node on 127.0.0.1, its own ports) or for listed hosts (one node each).
// The node keys are made here, so that each home's bootstrap list can name its peers' ids.

import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { type Genesis, ValidatorSigner, AccountSigner, ROOT_PARAMS, makeGenesis } from '@p2pnode/core'
import { randomBytes } from 'node:crypto'
import type { NodeConfigInput } from '../config.ts'
import { loadOrCreateNodeKey } from '../network/keys.ts'
import { LOCAL_TESTNET } from '../network/config.ts'
import { genesisToJson } from './genesis-json.ts'
import { type NodeKeys, homePaths, initHome } from './home.ts'

/**
 * The heartbeat of generated networks (devnet, e2e clusters, `p2pnode testnet` on any backend);
 * the node's default is 10 s. Their heights visibly move, and fault checks see recovery in seconds.
 */
export const TESTNET_EMPTY_BLOCK_INTERVAL_MS = 2_000

export interface TestnetOptions {
  out: string
  validators: number
  followers?: number
  network?: string
  /** One address per node (validators first); default: all on 127.0.0.1. */
  hosts?: string[]
  /** First P2P port; node i listens on basePort + 10 i, its API on + 1, its metrics on + 2. */
  basePort?: number
  /** Shares per validator; default 1 each. */
  shares?: number[]
  /**
   * Who bootstraps from whom: for node i, the indices of the nodes it is given. Default: every
   * node but node 0 is given node 0 (the DHT does the rest).
   */
  bootstrap?: (i: number) => number[]
  /** Extra config for every node (fast timeouts for tests, say). */
  config?: NodeConfigInput
  now?: number
}

export interface TestnetNode {
  name: string
  home: string
  validator: boolean
  host: string
  p2pPort: number
  apiPort: number
  metricsPort: number
  peerId: string
  multiaddr: string
}

export const DEFAULT_BASE_PORT = 7400
export const NETWORK_FOR_TESTNETS = 'testnet'

export async function generateTestnet(o: TestnetOptions): Promise<{ nodes: TestnetNode[]; genesis: Genesis }> {
  const followers = o.followers ?? 0
  const count = o.validators + followers
  if (o.validators < 1) throw new Error('a testnet needs at least one validator')
  if (o.hosts && o.hosts.length !== count) throw new Error(`--hosts lists ${o.hosts.length} addresses for ${count} nodes`)
  const network = o.network ?? NETWORK_FOR_TESTNETS
  const basePort = o.basePort ?? DEFAULT_BASE_PORT
  const local = !o.hosts
  const keys: NodeKeys[] = Array.from({ length: count }, () => ({ validatorSeed: randomBytes(32), accountSeed: randomBytes(32) }))
  const nodes: TestnetNode[] = []
  for (let i = 0; i < count; i++) {
    const name = `node${i}`
    const home = join(o.out, name)
    const host = o.hosts?.[i] ?? '127.0.0.1'
    const p2pPort = local ? basePort + 10 * i : basePort
    const key = await loadOrCreateNodeKey(homePaths(home).p2p)
    const peerId = peerIdFromPrivateKey(key).toString()
    nodes.push({
      name,
      home,
      validator: i < o.validators,
      host,
      p2pPort,
      apiPort: p2pPort + 1,
      metricsPort: p2pPort + 2,
      peerId,
      multiaddr: `/ip4/${host}/tcp/${p2pPort}/p2p/${peerId}`,
    })
  }
  const genesis = makeGenesis({
    network,
    time: o.now ?? Date.now(),
    params: ROOT_PARAMS,
    validators: keys.slice(0, o.validators).map((k, i) => {
      const v = new ValidatorSigner(k.validatorSeed)
      return { publicKey: v.publicKey, account: new AccountSigner(k.accountSeed).address, shares: o.shares?.[i] ?? 1, proofOfPossession: v.provePossession() }
    }),
  })
  const bootstrapOf = o.bootstrap ?? ((i: number) => (i === 0 ? [] : [0]))
  for (const [i, node] of nodes.entries()) {
    // minConnections stays at its default (8): with 3, a node of a 20-node devnet stopped
    // dialling at 3 peers and reached 5 only when others happened to dial it
    // and a heartbeat of 2 s rather than the node's 10 s: a local network shows its heights
    // moving, and the testnet fault scenarios see recoveries within seconds
    const localOverrides: NodeConfigInput = local
      ? {
          p2p: { inboundConnectionsPerSecond: LOCAL_TESTNET.inboundConnectionsPerSecond, ipColocationLimit: LOCAL_TESTNET.ipColocationLimit },
          consensus: { emptyBlockIntervalMs: TESTNET_EMPTY_BLOCK_INTERVAL_MS },
        }
      : {}
    const config: NodeConfigInput = mergeInputs(localOverrides, o.config ?? {}, {
      network,
      p2p: {
        listen: [`/ip4/${local ? '127.0.0.1' : '0.0.0.0'}/tcp/${node.p2pPort}`],
        ...(local ? {} : { announce: [`/ip4/${node.host}/tcp/${node.p2pPort}`] }),
        bootstrap: bootstrapOf(i).filter((j) => j !== i).map((j) => nodes[j]!.multiaddr),
      },
      api: { port: node.apiPort },
      metrics: { port: node.metricsPort },
    })
    await initHome(node.home, { network, config, genesis, keys: keys[i]!, force: true })
  }
  return { nodes, genesis }
}

function mergeInputs(...layers: NodeConfigInput[]): NodeConfigInput {
  const out: Record<string, unknown> = {}
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      const current = out[key]
      out[key] = typeof current === 'object' && current && !Array.isArray(current) && typeof value === 'object' && !Array.isArray(value) ? { ...current, ...value } : value
    }
  }
  return out as NodeConfigInput
}

export { genesisToJson }
