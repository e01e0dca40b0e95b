// Topics with validation in front. gossipsub runs with asyncValidation: a received message is
// neither forwarded nor delivered until its topic's validator returns a verdict, which goes back
// to gossipsub (reject lowers the sender's score, see scoring.ts). Only accepted messages reach
// the subscriber.
//
// Validations in flight are capped per topic, and per peer within a topic; over a cap a message
// is ignored, so a flood costs the node nothing but the drop. The caps are per topic so that a
// flood on one topic (transactions) never makes another (votes, proposals) drop messages, and
// per peer so that one peer cannot take a topic's whole budget from the others.

import type { GossipSub, GossipsubMessage } from '@chainsafe/libp2p-gossipsub'
import { createTopicScoreParams } from '@chainsafe/libp2p-gossipsub/score'
import { TopicValidatorResult } from '@libp2p/interface'
import type { Logger } from './logger.ts'
import { TOPIC_SCORE_PARAMS } from './scoring.ts'

export type Verdict = 'accept' | 'ignore' | 'reject'
export type Validator = (data: Uint8Array, from: string) => Verdict | Promise<Verdict>
export type MessageHandler = (data: Uint8Array, from: string) => void

/** Validations in flight on one topic, unless its subscribe() says otherwise. */
export const DEFAULT_MAX_PENDING_VALIDATIONS = 1024
/** Validations in flight on one topic for messages from one peer, unless subscribe() says otherwise. */
export const DEFAULT_MAX_PENDING_PER_PEER = 128

export interface SubscribeOptions {
  /** Validations in flight on this topic; more messages are ignored. Default 1,024. */
  maxPending?: number
  /** Of those, from one peer (the peer that forwarded the message). Default 128. */
  maxPendingPerPeer?: number
}

export interface VerdictEvent {
  topic: string
  from: string
  verdict: Verdict
  bytes: number
  /** Set when the message was ignored unvalidated because a budget was full. */
  overBudget?: 'topic' | 'peer'
}

/** Validations in flight on a topic (for metrics). */
export interface PendingValidations {
  total: number
  /** Peers with validations in flight, by peer id. */
  byPeer: Map<string, number>
}

interface Subscription {
  validate: Validator
  onMessage: MessageHandler
  maxPending: number
  maxPendingPerPeer: number
  pending: number
  byPeer: Map<string, number>
}

const RESULT: Record<Verdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
}

export class Gossip {
  private readonly pubsub: GossipSub
  private readonly log: Logger
  private readonly onVerdict: (event: VerdictEvent) => void
  private readonly subscriptions = new Map<string, Subscription>()
  private readonly listener = (event: CustomEvent<GossipsubMessage>): void => {
    void this.receive(event.detail)
  }

  constructor(pubsub: GossipSub, log: Logger, onVerdict: (event: VerdictEvent) => void) {
    this.pubsub = pubsub
    this.log = log
    this.onVerdict = onVerdict
  }

  start(): void {
    this.pubsub.addEventListener('gossipsub:message', this.listener)
  }

  stop(): void {
    this.pubsub.removeEventListener('gossipsub:message', this.listener)
    this.subscriptions.clear()
  }

  subscribe(topic: string, validate: Validator, onMessage: MessageHandler, options: SubscribeOptions = {}): void {
    if (this.subscriptions.has(topic)) throw new Error(`already subscribed to ${topic}`)
    const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING_VALIDATIONS
    const maxPendingPerPeer = options.maxPendingPerPeer ?? DEFAULT_MAX_PENDING_PER_PEER
    for (const [name, value] of [['maxPending', maxPending], ['maxPendingPerPeer', maxPendingPerPeer]] as const) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be an integer >= 1, got ${value}`)
    }
    // Topic params must exist before the first message, or gossipsub does not score the topic.
    this.pubsub.score.params.topics[topic] = createTopicScoreParams(TOPIC_SCORE_PARAMS)
    this.subscriptions.set(topic, { validate, onMessage, maxPending, maxPendingPerPeer, pending: 0, byPeer: new Map() })
    this.pubsub.subscribe(topic)
  }

  unsubscribe(topic: string): void {
    if (!this.subscriptions.delete(topic)) return
    this.pubsub.unsubscribe(topic)
  }

  topics(): string[] {
    return [...this.subscriptions.keys()]
  }

  /** Validations in flight on a topic; undefined when not subscribed. */
  pending(topic: string): PendingValidations | undefined {
    const subscription = this.subscriptions.get(topic)
    if (subscription == null) return undefined
    return { total: subscription.pending, byPeer: new Map(subscription.byPeer) }
  }

  /** Publishes to the topic's mesh; returns how many peers it was sent to. */
  async publish(topic: string, data: Uint8Array): Promise<number> {
    const result = await this.pubsub.publish(topic, data)
    return result.recipients.length
  }

  /** Peers subscribed to a topic, as this node sees them. */
  topicPeers(topic: string): string[] {
    return this.pubsub.getSubscribers(topic).map((id) => id.toString())
  }

  /** Peers in this node's mesh for a topic (the ones it forwards to). */
  meshPeers(topic: string): string[] {
    return this.pubsub.getMeshPeers(topic)
  }

  score(peerId: string): number {
    return this.pubsub.getScore(peerId)
  }

  private async receive(detail: GossipsubMessage): Promise<void> {
    const { msgId, msg, propagationSource } = detail
    const from = propagationSource.toString()
    const subscription = this.subscriptions.get(msg.topic)
    let verdict: Verdict = 'ignore'
    const overBudget = subscription == null ? undefined : full(subscription, from)
    if (subscription != null && overBudget == null) {
      const fromPeer = subscription.byPeer.get(from) ?? 0
      subscription.pending++
      subscription.byPeer.set(from, fromPeer + 1)
      try {
        verdict = await subscription.validate(msg.data, from)
      } catch (err) {
        // A throwing validator is our bug, not the peer's fault: ignore, never reject.
        this.log.error({ err, topic: msg.topic, from }, 'gossip validator threw')
        verdict = 'ignore'
      } finally {
        subscription.pending--
        const left = (subscription.byPeer.get(from) ?? 1) - 1
        if (left > 0) subscription.byPeer.set(from, left)
        else subscription.byPeer.delete(from)
      }
    }
    this.pubsub.reportMessageValidationResult(msgId, from, RESULT[verdict] ?? TopicValidatorResult.Ignore)
    this.onVerdict({ topic: msg.topic, from, verdict, bytes: msg.data.length, ...(overBudget != null ? { overBudget } : {}) })
    if (verdict !== 'accept' || subscription == null) return
    try {
      subscription.onMessage(msg.data, from)
    } catch (err) {
      this.log.error({ err, topic: msg.topic, from }, 'gossip message handler threw')
    }
  }
}

/** Which budget a message from `from` would break, if any. */
function full(subscription: Subscription, from: string): 'topic' | 'peer' | undefined {
  if (subscription.pending >= subscription.maxPending) return 'topic'
  if ((subscription.byPeer.get(from) ?? 0) >= subscription.maxPendingPerPeer) return 'peer'
  return undefined
}
