/**
 * The order-fulfilment workflow of the demo (README's main command): validate inventory → reserve
 * payment → notify shipping, as a saga. A declined card fails the payment step at once (non-retryable),
 * and the inventory reservation is compensated; a sold-out item fails before anything needs undoing.
 * The "services" are in-process fakes with a little latency, so the demo needs nothing but Kafka.
 */
import { TerminalError, workflow } from '../workflow/index.js';

/** An OrderPlaced event's payload. */
export interface Order {
  readonly orderId: string;
  readonly sku: string;
  readonly quantity: number;
  readonly card: string;
  readonly amountCents: number;
}

/** A declined card: business failure, never retried. */
export class CardDeclined extends Error {
  override readonly name = 'CardDeclined';
}

const latency = (): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, 2 + Math.floor(Math.random() * 8)));

/** The demo's saga. */
export const order = workflow('order', async (ctx, input: Order) => {
  const stock = await ctx.step(
    'validateInventory',
    async () => {
      await latency();
      if (input.sku === 'SOLD-OUT') throw new TerminalError(`${input.sku} is sold out`);
      return { reservation: `res-${input.orderId}`, sku: input.sku, quantity: input.quantity };
    },
    { compensate: async () => latency().then(() => ({ released: input.orderId })) },
  );
  const payment = await ctx.step(
    'reservePayment',
    async ({ idempotencyKey }) => {
      await latency();
      if (input.card.startsWith('4000-0000')) throw new CardDeclined(`card ${input.card} declined`);
      return { authorization: `auth-${idempotencyKey}`, amountCents: input.amountCents };
    },
    {
      retry: {
        maxAttempts: 5,
        initialInterval: '50ms',
        backoffCoefficient: 2,
        nonRetryable: ['CardDeclined'],
      },
      timeout: '5s',
      compensate: async () => latency().then(() => ({ refunded: input.orderId })),
    },
  );
  const shipment = await ctx.step('notifyShipping', async () => {
    await latency();
    return { tracking: `TRK-${input.orderId}` };
  });
  return {
    orderId: input.orderId,
    reservation: stock.reservation,
    authorization: payment.authorization,
    tracking: shipment.tracking,
  };
});
