// The runner's report: per node (height, peers, restarts), per fault (what was expected while it
// lasted, what was seen, time to recover), the load, and every invariant violated.

import type { Violation } from './chain-check.ts'
import type { FaultResult, Sample } from './faults.ts'
import type { LoadStats } from './load.ts'
import type { RunNode } from './nodes.ts'

export interface RunReport {
  manifest: string
  seconds: number
  nodes: Array<{ node: RunNode; address: string; sample: Sample | undefined }>
  faults: FaultResult[]
  load: (LoadStats & { committed: number; duplicated: number }) | null
  violations: Violation[]
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

export function formatReport(r: RunReport): string {
  const out: string[] = []
  out.push(`testnet ${r.manifest}: ${r.violations.length === 0 ? 'PASS' : 'FAIL'} in ${r.seconds.toFixed(1)} s`)
  out.push('')
  out.push(
    table(
      ['NODE', 'ROLE', 'HOST', 'HEIGHT', 'PEERS', 'RESTARTS', 'STATE'],
      r.nodes.map(({ node, address, sample }) => [
        node.spec.name,
        node.spec.role === 'validator' ? `validator(${node.spec.shares})` : 'follower',
        `${node.host} ${address}`,
        sample ? String(sample.height) : '-',
        sample ? String(sample.peers) : '-',
        String(node.restarts),
        node.running ? (node.paused ? 'paused' : 'running') : 'stopped',
      ]),
    ),
  )
  if (r.faults.length > 0) {
    out.push('')
    out.push(
      table(
        ['FAULT', 'AT', 'DOWN', 'EXPECTED', 'SEEN (max height, settled -> end)', 'RECOVERY'],
        r.faults.map((f) => [
          f.label,
          `h${f.atHeight}`,
          `${f.downSeconds}s`,
          f.expected,
          f.seen,
          f.recoverySeconds === null ? 'NOT RECOVERED' : `${f.recoverySeconds.toFixed(1)}s`,
        ]),
      ),
    )
  }
  if (r.load) {
    const refusals = Object.entries(r.load.refusals).map(([code, n]) => `${code} ${n}`)
    out.push('')
    out.push(
      `load: ${r.load.made} transactions, ${r.load.committed} committed, ${r.load.duplicated} committed more than once; ` +
        `${r.load.sends} sends (${r.load.resubmits} resubmits)${refusals.length ? `, refusals: ${refusals.join(', ')}` : ''}`,
    )
  }
  out.push('')
  if (r.violations.length === 0) out.push('invariants: all held (peers, agreement, signing, recovery, progress, transactions)')
  else for (const v of r.violations) out.push(`VIOLATION ${v.invariant}: ${v.message}`)
  return out.join('\n')
}
