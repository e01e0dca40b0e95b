// Prometheus scrapes GET /metrics on a port of its own, apart from the API: no token (Prometheus
// deployments rarely carry one), so it must stay bound to a private address. node:http is
// enough for one route.

import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

export const DEFAULT_METRICS_HOST = '127.0.0.1'
export const DEFAULT_METRICS_PORT = 7402

export interface MetricsServerInit {
  registry: Registry
  host?: string
  /** 0 picks a free port (tests). */
  port?: number
}

export interface MetricsServer {
  start(): Promise<{ url: string }>
  stop(): Promise<void>
}

export function createMetricsServer(init: MetricsServerInit): MetricsServer {
  const host = init.host ?? DEFAULT_METRICS_HOST
  const port = init.port ?? DEFAULT_METRICS_PORT
  let server: Server | undefined

  const handle = (method: string | undefined, path: string): Promise<{ status: number; type: string; body: string }> => {
    if (path !== '/metrics') return Promise.resolve({ status: 404, type: 'text/plain', body: 'not found\n' })
    if (method !== 'GET' && method !== 'HEAD') return Promise.resolve({ status: 405, type: 'text/plain', body: 'method not allowed\n' })
    return init.registry.metrics().then((body) => ({ status: 200, type: init.registry.contentType, body }))
  }

  return {
    async start() {
      if (server !== undefined) throw new Error('metrics server already started')
      const s = createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0] ?? '/'
        handle(req.method, path).then(
          (r) => {
            res.writeHead(r.status, { 'content-type': r.type })
            res.end(req.method === 'HEAD' ? undefined : r.body)
          },
          () => {
            res.writeHead(500, { 'content-type': 'text/plain' })
            res.end('metrics collection failed\n')
          },
        )
      })
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject)
        s.listen(port, host, () => {
          s.off('error', reject)
          resolve()
        })
      })
      server = s
      const address = s.address() as AddressInfo
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
      return { url: `http://${shownHost}:${address.port}/metrics` }
    },
    async stop() {
      const s = server
      if (s === undefined) return
      server = undefined
      await new Promise<void>((resolve) => {
        s.close(() => resolve())
        s.closeAllConnections()
      })
    },
  }
}
