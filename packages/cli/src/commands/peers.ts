// `peers`, `connect MULTIADDR`, `disconnect PEERID`: the node's connections as its operator
// manages them.

import type { Command } from 'commander'
import { multiaddr } from '@multiformats/multiaddr'
import { call, connect } from '../client.ts'
import { CliError, ExitCode, fail } from '../errors.ts'
import type { GlobalOptions } from '../options.ts'
import { duration, printJson, printTable, shortId } from '../output.ts'
import { parsePeerId } from './input.ts'

export function registerPeers(program: Command): void {
  program
    .command('peers')
    .description('the peers the node is connected to: id, address, direction, age, latency, agent, score')
    .addHelpText('after', '\nExamples:\n  p2pnode peers\n  p2pnode peers --json   # [{"peerId", "addr", "direction", "connectedSince", "latencyMs", "agent", "score"}]')
    .action(async (_options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions>()
      const node = await connect(opts)
      const peers = await call(node, (c) => c.peers())
      if (opts.json) return printJson(peers)
      if (peers.length === 0) {
        process.stdout.write('no peers connected\n')
        return
      }
      const now = Date.now()
      printTable(
        ['PEER', 'ADDRESS', 'DIRECTION', 'CONNECTED', 'LATENCY', 'AGENT', 'SCORE'],
        peers.map((p) => [
          shortId(p.peerId),
          p.addr,
          p.direction,
          duration(now - p.connectedSince),
          p.latencyMs === null ? '-' : `${Math.round(p.latencyMs)} ms`,
          p.agent ?? '-',
          p.score.toFixed(1),
        ]),
      )
    })

  program
    .command('connect')
    .argument('<multiaddr>', 'the peer, e.g. /ip4/203.0.113.7/tcp/7400/p2p/12D3KooW…')
    .description('dial a peer now (the address `p2pnode id` prints on that node)')
    .addHelpText('after', '\nExamples:\n  p2pnode connect /ip4/203.0.113.7/tcp/7400/p2p/12D3KooWRm…\n  p2pnode connect /dns4/node1.example.org/tcp/7400/p2p/12D3KooWRm… --json')
    .action(async (address: string, _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions>()
      try {
        multiaddr(address)
      } catch (err) {
        fail(ExitCode.BadInput, `"${address}" is not a multiaddr: ${(err as Error).message}`, 'a multiaddr looks like /ip4/203.0.113.7/tcp/7400/p2p/12D3KooW…')
      }
      const node = await connect(opts)
      const result = await call(node, (c) => c.connect(address)).catch((err: unknown) => {
        // call() makes the API's 400 a bad-input error, but a failed dial is not the operator's typo
        if (err instanceof CliError && err.code === 'CONNECT_FAILED') {
          fail(ExitCode.PeerUnreachable, `the node could not connect to ${address}: ${err.message.replace(/^cannot connect to \S+: /, '')}`, 'check that the peer runs and that its port is reachable from this node (firewall, announce address)', 'CONNECT_FAILED')
        }
        if (err instanceof CliError && err.code === 'PEER_BANNED') {
          fail(ExitCode.Refused, `the node refuses ${address}: the peer is banned`, 'p2pnode bans lists the bans; p2pnode unban PEERID lifts one', err.code)
        }
        throw err
      })
      if (opts.json) return printJson({ peerId: result.peerId, addr: address })
      process.stdout.write(`connected to ${result.peerId}\n`)
    })

  program
    .command('disconnect')
    .argument('<peerId>', 'the peer id, as `p2pnode peers --json` prints it')
    .description('close the connections to a peer (it may reconnect later, through discovery)')
    .addHelpText('after', '\nExamples:\n  p2pnode disconnect 12D3KooWRm…\n\nExit code 6 when the node is not connected to that peer.')
    .action(async (peerId: string, _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions>()
      parsePeerId(peerId)
      const node = await connect(opts)
      await call(node, (c) => c.disconnect(peerId))
      if (opts.json) return printJson({ peerId, disconnected: true })
      process.stdout.write(`disconnected from ${peerId}\n`)
    })
}
