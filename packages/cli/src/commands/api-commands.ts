// Commands that talk to a running node through its API (the client loads no libp2p).
import type { Command } from 'commander'
import { registerBans } from './bans.ts'
import { registerBlock } from './block.ts'
import { registerKv } from './kv.ts'
import { registerPeers } from './peers.ts'
import { registerProposal } from './proposal.ts'
import { registerStatus } from './status.ts'
import { registerTx } from './tx.ts'

export function registerApiCommands(program: Command): void {
  const before = new Set(program.commands)
  registerStatus(program)
  registerPeers(program)
  registerBans(program)
  registerTx(program)
  registerKv(program)
  registerBlock(program)
  registerProposal(program)
  // main() makes the top-level commands throw instead of exiting; nested ones (tx status, kv get)
  // need the same, or a usage error would exit 1 instead of 2
  const override = (command: Command): void => {
    command.exitOverride()
    command.commands.forEach(override)
  }
  for (const command of program.commands) if (!before.has(command)) command.commands.forEach(override)
}
