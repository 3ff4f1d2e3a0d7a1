import { createHash, randomUUID } from 'node:crypto'

export interface Order {
  id: string
  userId: string
  item: string
  quantity: number
  createdAt: string
}

const ITEMS = ['espresso beans', 'pour-over kettle', 'burr grinder', 'ceramic mug', 'paper filters', 'milk frother']
const SEED_EPOCH = Date.UTC(2026, 0, 1)

/** The same user id always gets the same two to four orders, so the demo looks lived-in. */
function seedOrders(userId: string): Order[] {
  const h = createHash('sha256').update(userId).digest()
  const count = 2 + (h[0]! % 3)
  return Array.from({ length: count }, (_, n) => ({
    id: `ord_${h.subarray(1, 6).toString('hex')}_${n + 1}`,
    userId,
    item: ITEMS[h[6 + n]! % ITEMS.length]!,
    quantity: 1 + (h[10 + n]! % 5),
    createdAt: new Date(SEED_EPOCH + h.readUInt16BE(14 + 2 * n) * 60_000).toISOString(),
  }))
}

/** In memory: orders by user, seeded on a user's first visit. */
export function createOrderBook(now: () => Date = () => new Date()) {
  const byUser = new Map<string, Order[]>()
  const ordersOf = (userId: string): Order[] => {
    let list = byUser.get(userId)
    if (list === undefined) {
      list = seedOrders(userId)
      byUser.set(userId, list)
    }
    return list
  }
  return {
    ordersOf,
    find(id: string): Order | undefined {
      for (const list of byUser.values()) {
        const order = list.find((o) => o.id === id)
        if (order !== undefined) return order
      }
      return undefined
    },
    create(userId: string, item: string, quantity: number): Order {
      const order = { id: `ord_${randomUUID()}`, userId, item, quantity, createdAt: now().toISOString() }
      ordersOf(userId).push(order)
      return order
    },
    all(): Order[] {
      return [...byUser.values()].flat()
    },
  }
}

export type OrderBook = ReturnType<typeof createOrderBook>
