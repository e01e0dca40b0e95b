// `npm run testnet -- <ssh manifest> --plan`: every command the ssh back end would run for a
// manifest, in order (install, start, each fault's injection and heal, logs, clean-up), from
// homes generated for real into a scratch directory. Nothing is sent to any host: operators read
// it before pointing the runner at their VPS, and test/deploy/ssh-hosts.test.ts checks it.

import type { Manifest, Perturbation } from './manifest.ts'
import { heal, inject, label } from './faults.ts'
import { NodeProcesses, makeNodes } from './nodes.ts'
import { RecordingShell, SshHosts } from './ssh-hosts.ts'

export interface PlanStep {
  title: string
  commands: string[]
}

export async function sshPlan(manifest: Manifest, dir: string): Promise<PlanStep[]> {
  const shell = new RecordingShell()
  const hosts = new SshHosts(manifest.hosts, { workDir: dir, runName: manifest.name, shell })
  const nodes = await makeNodes(manifest, hosts, dir)
  const procs = new NodeProcesses(hosts, nodes, false)
  const steps: PlanStep[] = []
  const step = async (title: string, action: () => Promise<unknown>) => {
    const from = shell.commands.length
    await action()
    steps.push({ title, commands: shell.commands.slice(from) })
  }
  // install() does this for every host at once; one step per host here, for reading.
  await step('pack the release', () => hosts.pack())
  for (const n of nodes) await step(`install ${n.spec.name} on ${n.host} (${hosts.host(n.host).target})`, () => hosts.installOn(n))
  await step('start', () => Promise.all(nodes.filter((n) => !n.spec.deferred).map((n) => procs.start(n.spec.name))))
  for (const [i, p] of manifest.perturbations.entries()) {
    await step(`fault ${i + 1}: ${label(p)} at ${trigger(p)}`, () => inject(p, { procs, hosts }))
    if (p.downSeconds > 0) await step(`fault ${i + 1}: heal after ${p.downSeconds} s`, () => heal(p, { procs, hosts }))
  }
  await step('collect the logs', () => hosts.collectLogs(nodes))
  await step('stop and clean up', async () => {
    await procs.stopAll()
    await hosts.destroy()
  })
  return steps
}

function trigger(p: Perturbation): string {
  return 'height' in p.at ? `height ${p.at.height}` : `${p.at.time} s`
}

export function formatPlan(steps: PlanStep[]): string {
  return steps.map((s) => [`# ${s.title}`, ...s.commands].join('\n')).join('\n\n')
}
