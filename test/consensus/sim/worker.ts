// Worker thread body for run-many.ts.

import { parentPort, workerData } from 'node:worker_threads'
import { type Batch, runBatch } from './run-many.ts'

parentPort!.postMessage(runBatch(workerData as Batch))
