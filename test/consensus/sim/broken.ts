// Deliberately broken engines, to show the harness can fail. Each wraps the real engine and
// damages its state after every step, as a bug in the engine would.

import { createEngine, type Engine, type EngineInit } from '../../../packages/core/src/consensus/index.ts'

export const ENGINES = {
  correct: createEngine,
  /** Forgets lockedValue / lockedRound (and validValue, which re-proposes a locked block). */
  forgetsLock: (init: EngineInit): Engine => {
    const engine = createEngine(init)
    return {
      step(state, event) {
        const result = engine.step(state, event)
        result.state.lockedRound = -1
        result.state.lockedValue = null
        result.state.validRound = -1
        result.state.validValue = null
        return result
      },
    }
  },
} as const

export type EngineName = keyof typeof ENGINES
