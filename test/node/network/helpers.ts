// Shared by the network tests: temp homes, nodes on 127.0.0.1 with ephemeral ports, and a
// deadline-based wait (poll every 50 ms; never a fixed sleep).

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'
import { LOCAL_TESTNET, Network, networkConfig } from '../../../packages/node/src/index.ts'
import type { NetworkConfig } from '../../../packages/node/src/index.ts'

export const POLL_MS = 50

/** Polls `condition` every 50 ms until it holds; throws naming `what` at the deadline. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const start = Date.now()
  const deadline = start + timeoutMs
  for (;;) {
    if (await condition()) return Date.now() - start
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

const homes: string[] = []

export async function tempHome(label = 'net'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `p2pnode-${label}-`))
  homes.push(dir)
  return dir
}

export async function removeHomes(): Promise<void> {
  await Promise.all(homes.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
}

export type NodeOptions = Partial<NetworkConfig> & { dataDir?: string }

/** A started network node on 127.0.0.1 with an ephemeral port. */
export async function startNode(options: NodeOptions = {}): Promise<Network> {
  const dataDir = options.dataDir ?? (await tempHome())
  const config = networkConfig({ network: 'test', ...LOCAL_TESTNET, minConnections: 0, ...options, dataDir })
  const network = await Network.create(config)
  try {
    await network.start()
  } catch (err) {
    await network.stop().catch(() => {})
    throw err
  }
  return network
}

export async function stopAll(nodes: Array<Network | undefined>): Promise<void> {
  await Promise.all(nodes.map((node) => node?.stop().catch(() => {})))
}

/** Connects each later node to the first, and waits until every pair sees each other's topic. */
export function connectedTo(node: Network, other: Network): boolean {
  return node.peers().some((p) => p.peerId === other.peerId)
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
export const text = (data: Uint8Array): string => new TextDecoder().decode(data)

/** What a promise fails with: the error's code (or name), undefined if it resolves. */
export async function failure(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (err) {
    const e = err as { code?: string; name?: string }
    return e.code ?? e.name ?? 'Error'
  }
  return undefined
}

/** Heap in use after a full garbage collection (forced through V8's flag, no --expose-gc needed). */
export function heapAfterGc(): number {
  collectGarbage()
  collectGarbage()
  return process.memoryUsage().heapUsed
}

let gc: (() => void) | undefined
function collectGarbage(): void {
  if (gc == null) {
    v8.setFlagsFromString('--expose-gc')
    gc = vm.runInNewContext('gc') as () => void
  }
  gc()
}

export const MiB = 1024 * 1024
