// Commands that talk to a running node through its API (the client loads no libp2p).
import type { Command } from 'commander'
import { registerStatus } from './status.ts'

export function registerApiCommands(program: Command): void {
  registerStatus(program)
}
