// Gossipsub peer scoring. The aim: an honest peer sits at or a little above zero; one rejected
// message puts a peer below zero (visible in peers()); sustained rejects push it under the
// graylist threshold, where gossipsub stops reading it and the node bans it.
//
// Per topic, a peer earns at most TOPIC_SCORE_CAP from time in mesh (P1) and first deliveries
// (P2). Each rejected message counts in P4, whose value is the *square* of the decaying count:
//   score ≈ min(positives, TOPIC_SCORE_CAP) + INVALID_MESSAGE_WEIGHT · n²
// so with the values below: n = 1 gives about -2..-10, n = 6 about -352, n = 7 about -482,
// past GRAYLIST_THRESHOLD (-400): seven rejects within a minute or so get a peer banned.
// The count decays by INVALID_MESSAGE_DECAY per second (half-life about 69 s), so an honest
// peer that relays one stale message now and then recovers.
// P3 (mesh delivery rate) is off: vote and commit topics are quiet between blocks, and an
// honest quiet peer must not be punished for it.

import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@chainsafe/libp2p-gossipsub/score'

export const TOPIC_SCORE_CAP = 8
export const INVALID_MESSAGE_WEIGHT = -10
export const INVALID_MESSAGE_DECAY = 0.99
export const SCORE_DECAY_INTERVAL_MS = 1000

export const GOSSIP_THRESHOLD = -10
export const PUBLISH_THRESHOLD = -50
/** Below this gossipsub ignores the peer, and the node bans it. */
export const GRAYLIST_THRESHOLD = -400
export const IP_COLOCATION_WEIGHT = -5
/** Penalty points (P5, weight 1) a `penalize` call adds when the caller gives none. */
export const DEFAULT_PENALTY = 50

export const SCORE_THRESHOLDS: PeerScoreThresholds = {
  gossipThreshold: GOSSIP_THRESHOLD,
  publishThreshold: PUBLISH_THRESHOLD,
  graylistThreshold: GRAYLIST_THRESHOLD,
  // peer exchange is off (doPX: false); keep the threshold out of reach anyway
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 2,
}

export const TOPIC_SCORE_PARAMS: TopicScoreParams = {
  topicWeight: 1,
  // P1: +0.01 per second in the mesh, up to +3
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1000,
  timeInMeshCap: 300,
  // P2: +0.5 per first delivery, decaying, up to +5
  firstMessageDeliveriesWeight: 0.5,
  firstMessageDeliveriesDecay: 0.9,
  firstMessageDeliveriesCap: 10,
  // P3 off (see above); gossipsub still wants sane values
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: 0.5,
  meshMessageDeliveriesCap: 100,
  meshMessageDeliveriesThreshold: 1,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 5000,
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: 0.5,
  // P4: rejected messages
  invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
  invalidMessageDeliveriesDecay: INVALID_MESSAGE_DECAY,
}

/**
 * Score parameters for gossipsub. `appPenalty(peerId)` returns the node's own penalty points
 * for a peer (from `penalize`), a positive number subtracted from its score.
 */
export function scoreParams(ipColocationLimit: number, appPenalty: (peerId: string) => number): Partial<PeerScoreParams> {
  return {
    topics: {},
    topicScoreCap: TOPIC_SCORE_CAP,
    appSpecificScore: (peerId: string) => -appPenalty(peerId),
    appSpecificWeight: 1,
    IPColocationFactorWeight: IP_COLOCATION_WEIGHT,
    IPColocationFactorThreshold: ipColocationLimit,
    IPColocationFactorWhitelist: new Set(),
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: 0.9,
    decayInterval: SCORE_DECAY_INTERVAL_MS,
    decayToZero: 0.01,
    retainScore: 3600 * 1000,
  }
}
