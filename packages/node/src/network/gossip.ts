// Topics with validation in front. gossipsub runs with asyncValidation: a received message is
// neither forwarded nor delivered until its topic's validator returns a verdict, which goes back
// to gossipsub (reject lowers the sender's score, see scoring.ts). Only accepted messages reach
// the subscriber. Validations in flight are capped; over the cap messages are ignored, so a
// flood costs the node nothing but the drop.

import type { GossipSub, GossipsubMessage } from '@chainsafe/libp2p-gossipsub'
import { createTopicScoreParams } from '@chainsafe/libp2p-gossipsub/score'
import { TopicValidatorResult } from '@libp2p/interface'
import type { Logger } from './logger.ts'
import { TOPIC_SCORE_PARAMS } from './scoring.ts'

export type Verdict = 'accept' | 'ignore' | 'reject'
export type Validator = (data: Uint8Array, from: string) => Verdict | Promise<Verdict>
export type MessageHandler = (data: Uint8Array, from: string) => void

export const MAX_PENDING_VALIDATIONS = 1024

export interface VerdictEvent {
  topic: string
  from: string
  verdict: Verdict
  bytes: number
}

interface Subscription {
  validate: Validator
  onMessage: MessageHandler
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
  private pending = 0
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

  subscribe(topic: string, validate: Validator, onMessage: MessageHandler): void {
    if (this.subscriptions.has(topic)) throw new Error(`already subscribed to ${topic}`)
    // Topic params must exist before the first message, or gossipsub does not score the topic.
    this.pubsub.score.params.topics[topic] = createTopicScoreParams(TOPIC_SCORE_PARAMS)
    this.subscriptions.set(topic, { validate, onMessage })
    this.pubsub.subscribe(topic)
  }

  unsubscribe(topic: string): void {
    if (!this.subscriptions.delete(topic)) return
    this.pubsub.unsubscribe(topic)
  }

  topics(): string[] {
    return [...this.subscriptions.keys()]
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
    if (subscription != null && this.pending < MAX_PENDING_VALIDATIONS) {
      this.pending++
      try {
        verdict = await subscription.validate(msg.data, from)
      } catch (err) {
        // A throwing validator is our bug, not the peer's fault: ignore, never reject.
        this.log.error({ err, topic: msg.topic, from }, 'gossip validator threw')
        verdict = 'ignore'
      } finally {
        this.pending--
      }
    }
    this.pubsub.reportMessageValidationResult(msgId, from, RESULT[verdict] ?? TopicValidatorResult.Ignore)
    this.onVerdict({ topic: msg.topic, from, verdict, bytes: msg.data.length })
    if (verdict !== 'accept' || subscription == null) return
    try {
      subscription.onMessage(msg.data, from)
    } catch (err) {
      this.log.error({ err, topic: msg.topic, from }, 'gossip message handler threw')
    }
  }
}
