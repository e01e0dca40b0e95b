/** A bounded set that forgets its oldest members first: the mempool's memory of committed hashes. */
export class RecentSet {
  private readonly items = new Set<string>()

  constructor(private readonly capacity: number) {}

  add(key: string): void {
    this.items.delete(key)
    this.items.add(key)
    if (this.items.size > this.capacity) {
      const oldest = this.items.values().next().value as string
      this.items.delete(oldest)
    }
  }

  has(key: string): boolean {
    return this.items.has(key)
  }

  get size(): number {
    return this.items.size
  }
}
