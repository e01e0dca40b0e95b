// Commands that act on a home and its node directly: create, start, generate, back up.
import type { Command } from 'commander'

export function registerNodeCommands(_program: Command): void {}
