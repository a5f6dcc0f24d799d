// Invoice pricing: the service's CPU-bound hot path (every quote, cart and
// checkout request prices its line items). Money is integer cents; each
// rounding is half away from zero, as the finance team specified.

export interface LineItem {
  sku: string;
  /** Price of one unit, in cents. */
  unitPriceCents: number;
  quantity: number;
  /** Line discount in basis points (1250 = 12.5%). */
  discountBasisPoints?: number;
  /** Tax class; lines without one use the invoice's rate. */
  taxBasisPoints?: number;
}

export interface LineTotal {
  sku: string;
  netCents: number;
  discountCents: number;
  taxCents: number;
}

export interface Invoice {
  lines: LineTotal[];
  subtotalCents: number;
  discountCents: number;
  taxCents: number;
  totalCents: number;
}

/** `value * basisPoints / 10000`, rounded half away from zero. */
function applyBasisPoints(value: number, basisPoints: number): number {
  const scaled = value * basisPoints;
  const whole = Math.trunc(scaled / 10000);
  const rest = scaled - whole * 10000;
  if (Math.abs(rest) * 2 >= 10000) {
    return whole + Math.sign(scaled);
  }
  return whole;
}

/**
 * Prices an invoice.
 * @param {u32} defaultTaxBasisPoints
 */
export function computeInvoice(items: LineItem[], defaultTaxBasisPoints: number): Invoice {
  const lines: LineTotal[] = [];
  let subtotalCents = 0;
  let discountCents = 0;
  let taxCents = 0;
  for (const item of items) {
    const gross = item.unitPriceCents * item.quantity;
    const discount = applyBasisPoints(gross, item.discountBasisPoints ?? 0);
    const net = gross - discount;
    const tax = applyBasisPoints(net, item.taxBasisPoints ?? defaultTaxBasisPoints);
    lines.push({ sku: item.sku, netCents: net, discountCents: discount, taxCents: tax });
    subtotalCents += gross;
    discountCents += discount;
    taxCents += tax;
  }
  return {
    lines,
    subtotalCents,
    discountCents,
    taxCents,
    totalCents: subtotalCents - discountCents + taxCents,
  };
}
