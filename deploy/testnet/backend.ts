// What the runner needs of the machines a testnet runs on. Two back ends implement it over the
// same generated homes and the same `p2pnode start`:
//
//   local-hosts.ts  one network namespace per host on this machine, nodes as child processes;
//   ssh-hosts.ts    VPS hosts reached over ssh, the release installed with npm, nodes under
//                   the shipped systemd unit.
//
// The runner (run.ts, faults.ts, nodes.ts) talks only to this interface and to each node's API.

import type { NodeSpec } from './manifest.ts'

/** Every node listens on this port of its own host (one node per host). */
export const P2P_PORT = 7400
/** Its API, on the next port: on the management link (local) or on 127.0.0.1 (ssh, tunnelled). */
export const API_PORT = P2P_PORT + 1

/** The signals a perturbation sends: kill, clean stop, pause, resume. */
export type NodeSignal = 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT'

/** A node as a back end sees it: where it runs, its generated home, where its log goes. */
export interface BackendNode {
  spec: NodeSpec
  host: string
  /** The home generated for it on the runner's machine. */
  home: string
  logFile: string
}

export interface Backend {
  readonly kind: 'local' | 'ssh'
  /** The address the node on `host` listens on and announces for P2P. */
  address(host: string): string
  /** Where the runner reaches the API of the node on `host`. */
  apiUrl(host: string): string
  /** Puts the generated homes (and whatever runs them) on the hosts; once, before any start. */
  install(nodes: BackendNode[]): Promise<void>
  /**
   * Starts the node (its API may not answer yet). `onExit` is called if the back end sees the
   * node's process end without being told to (the local back end does; systemd restarts a
   * crashed node itself).
   */
  start(node: BackendNode, onExit: () => void): Promise<void>
  /** Sends a signal; for SIGKILL and SIGTERM, resolves once the node is down. */
  signal(node: BackendNode, signal: NodeSignal): Promise<void>
  /** The host's P2P traffic cut, then restored. */
  disconnect(host: string): Promise<void>
  reconnect(host: string): Promise<void>
  /** P2P traffic flows only within each group of hosts, until `heal`. */
  partition(groups: string[][]): Promise<void>
  heal(): Promise<void>
  /** Brings the nodes' logs to their `logFile` (the local back end writes them there already). */
  collectLogs(nodes: BackendNode[]): Promise<void>
  /** Undoes what `install` and the faults changed on the hosts; the nodes must be stopped. */
  destroy(): Promise<void>
}
