// Every top-level command, in the order --help lists them, with the module that defines it. A
// module (and all it imports: the node, libp2p, BLS, LevelDB) is loaded only when one of its
// commands runs, or when help lists them all: `p2pnode --version` loads none and `p2pnode status`
// loads status.ts and the HTTP client only (test/cli/startup.test.ts holds that).

import type { Command } from 'commander'

export interface CommandModule {
  /** The top-level commands the module registers. */
  names: readonly string[]
  load(): Promise<(program: Command) => void>
}

export const COMMANDS: readonly CommandModule[] = [
  // on a home and its node directly: create, start, generate, back up
  { names: ['init'], load: async () => (await import('./init.ts')).registerInit },
  { names: ['keys'], load: async () => (await import('./keys.ts')).registerKeys },
  { names: ['id'], load: async () => (await import('./id.ts')).registerId },
  { names: ['start'], load: async () => (await import('./start.ts')).registerStart },
  { names: ['testnet'], load: async () => (await import('./testnet.ts')).registerTestnet },
  { names: ['genesis'], load: async () => (await import('./genesis.ts')).registerGenesis },
  { names: ['devnet'], load: async () => (await import('./devnet.ts')).registerDevnet },
  { names: ['export'], load: async () => (await import('./export.ts')).registerExport },
  { names: ['import'], load: async () => (await import('./import.ts')).registerImport },
  { names: ['reset'], load: async () => (await import('./reset.ts')).registerReset },
  // through a running node's API (the client loads no libp2p)
  { names: ['status'], load: async () => (await import('./status.ts')).registerStatus },
  { names: ['peers', 'connect', 'disconnect'], load: async () => (await import('./peers.ts')).registerPeers },
  { names: ['bans', 'ban', 'unban'], load: async () => (await import('./bans.ts')).registerBans },
  { names: ['tx'], load: async () => (await import('./tx.ts')).registerTx },
  { names: ['kv'], load: async () => (await import('./kv.ts')).registerKv },
  { names: ['block'], load: async () => (await import('./block.ts')).registerBlock },
  { names: ['proposal'], load: async () => (await import('./proposal.ts')).registerProposal },
  { names: ['entity'], load: async () => (await import('./entity.ts')).registerEntity },
]
