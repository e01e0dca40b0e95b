// The runner's handle on one attacker process (attack/attacker.ts): spawned with its arguments,
// its JSON lines read as they come, its stderr kept in a log file. Every attacker of this process
// is killed when the runner exits, however it exits.

import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, readFileSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'
import { createInterface } from 'node:readline'
import { RUN_SOURCES } from '../test/fixtures/run-sources.ts'
import type { AttackArgs } from './attacks/context.ts'

const ATTACKER = new URL('./attacker.ts', import.meta.url).pathname
const STOP_GRACE_MS = 5_000
/**
 * Attackers run this much nicer than the runner and the nodes: on a real network the attacker has
 * its own machine, and here it should not win the shared CPU from its victims by priority.
 */
export const ATTACKER_NICENESS = 10
/** Linux clock ticks per second (USER_HZ), the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS = 100

const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

export interface AttackerState {
  peerId?: string
  readyAt?: number
  /** Targets reached when the attack started. */
  reached: string[]
  /** Targets still connected at the last report. */
  connected: string[]
  sent: number
  bytes: number
  what: string
  errors: string[]
  exited?: { code: number | null; signal: string | null }
  /** CPU seconds it used (user + system), as last read from /proc. */
  cpuSeconds: number
}

export class AttackerProcess {
  readonly state: AttackerState = { cpuSeconds: 0, reached: [], connected: [], sent: 0, bytes: 0, what: '', errors: [] }
  private readonly child: ChildProcess
  private readonly exited: Promise<void>

  constructor(name: string, args: AttackArgs, logFile: string) {
    this.child = spawn(process.execPath, [...RUN_SOURCES, ATTACKER, name, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(this.child)
    try {
      setPriority(this.child.pid!, Math.min(19, getPriority() + ATTACKER_NICENESS))
    } catch {
      // not allowed here: it runs at our priority
    }
    const cpu = setInterval(() => this.readCpu(), 1_000)
    const log = createWriteStream(logFile, { flags: 'a' })
    log.on('error', () => {})
    this.child.stderr!.pipe(log)
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.take(line, log))
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        clearInterval(cpu)
        running.delete(this.child)
        this.state.exited = { code, signal }
        resolve()
      })
    })
  }

  /** Resolves true once the attacker says the attack started, false if it failed or took over `ms`. */
  async ready(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      if (this.state.readyAt !== undefined) return true
      if (this.state.exited) return false
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    return false
  }

  /** Asks it to stop (it reports its totals), kills it if it does not within a few seconds. */
  async stop(): Promise<void> {
    if (this.state.exited) return
    this.readCpu()
    this.child.kill('SIGTERM')
    const killer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS)
    await this.exited
    clearTimeout(killer)
  }

  private readCpu(): void {
    try {
      // fields after the parenthesised command name: state is 3rd, utime 14th, stime 15th
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      this.state.cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
    } catch {
      // gone already: keep the last reading
    }
  }

  private take(line: string, log: NodeJS.WritableStream): void {
    let event: Record<string, unknown>
    try {
      event = JSON.parse(line) as Record<string, unknown>
    } catch {
      log.write(`stdout: ${line}\n`)
      return
    }
    const s = this.state
    if (event['event'] === 'ready') {
      s.readyAt = Date.now()
      s.peerId = event['peerId'] as string
      s.reached = event['connected'] as string[]
      s.connected = s.reached
    } else if (event['event'] === 'error') {
      s.errors.push(String(event['message']).split('\n')[0]!)
      log.write(`error: ${String(event['message'])}\n`)
    } else {
      s.sent = Number(event['sent'] ?? s.sent)
      s.bytes = Number(event['bytes'] ?? s.bytes)
      s.what = String(event['what'] ?? s.what)
      s.connected = (event['connected'] as string[] | undefined) ?? s.connected
    }
  }
}
