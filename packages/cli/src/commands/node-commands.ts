// Commands that act on a home and its node directly: create, start, generate, back up.
import type { Command } from 'commander'
import { registerDevnet } from './devnet.ts'
import { registerExport } from './export.ts'
import { registerGenesis } from './genesis.ts'
import { registerId } from './id.ts'
import { registerImport } from './import.ts'
import { registerInit } from './init.ts'
import { registerKeys } from './keys.ts'
import { registerReset } from './reset.ts'
import { registerStart } from './start.ts'
import { registerTestnet } from './testnet.ts'

export function registerNodeCommands(program: Command): void {
  registerInit(program)
  registerKeys(program)
  registerId(program)
  registerStart(program)
  registerTestnet(program)
  registerGenesis(program)
  registerDevnet(program)
  registerExport(program)
  registerImport(program)
  registerReset(program)
}
