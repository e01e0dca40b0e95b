// Runs many seeded scenarios, split over worker threads (one per core, at most two here), and
// returns the results in seed order, so the output is the same however the work was split.

import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { runScenario, type ScenarioOptions, type ScenarioResult } from './scenario.ts'

export interface Batch {
  firstSeed: number
  runs: number
  options?: ScenarioOptions
}

export const MAX_WORKERS = 2

// Node 20 does not pass `--import tsx` on to workers, so each worker registers tsx itself.
const WORKER_BOOT = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(
  new URL('./worker.ts', import.meta.url).href,
)}) })`

export function runBatch(batch: Batch): ScenarioResult[] {
  const out: ScenarioResult[] = []
  for (let i = 0; i < batch.runs; i++) out.push(runScenario(batch.firstSeed + i, batch.options))
  return out
}

export async function runMany(batch: Batch, workers = Math.min(MAX_WORKERS, availableParallelism())): Promise<ScenarioResult[]> {
  if (workers <= 1 || batch.runs < 20) return runBatch(batch)
  const size = Math.ceil(batch.runs / workers)
  const parts: Promise<ScenarioResult[]>[] = []
  for (let w = 0; w < workers; w++) {
    const runs = Math.min(size, batch.runs - w * size)
    if (runs <= 0) break
    const part: Batch = { firstSeed: batch.firstSeed + w * size, runs, options: batch.options }
    parts.push(
      new Promise((resolve, reject) => {
        const worker = new Worker(WORKER_BOOT, { eval: true, workerData: part })
        worker.once('message', resolve)
        worker.once('error', reject)
      }),
    )
  }
  return (await Promise.all(parts)).flat()
}
