//! `computeInvoice` from src/invoice.ts:46, as a napi-rs function. The body is yours to
//! write; `crabport extract --verify` replays recorded calls through both.

use napi_derive::napi;

#[napi(object)]
pub struct LineItem {
    #[napi(js_name = "sku")]
    pub sku: String,
    #[napi(js_name = "unitPriceCents")]
    pub unit_price_cents: f64,
    #[napi(js_name = "quantity")]
    pub quantity: f64,
    #[napi(js_name = "discountBasisPoints")]
    pub discount_basis_points: Option<f64>,
    #[napi(js_name = "taxBasisPoints")]
    pub tax_basis_points: Option<f64>,
}

#[napi(object)]
pub struct LineTotal {
    #[napi(js_name = "sku")]
    pub sku: String,
    #[napi(js_name = "netCents")]
    pub net_cents: f64,
    #[napi(js_name = "discountCents")]
    pub discount_cents: f64,
    #[napi(js_name = "taxCents")]
    pub tax_cents: f64,
}

#[napi(object)]
pub struct Invoice {
    #[napi(js_name = "lines")]
    pub lines: Vec<LineTotal>,
    #[napi(js_name = "subtotalCents")]
    pub subtotal_cents: f64,
    #[napi(js_name = "discountCents")]
    pub discount_cents: f64,
    #[napi(js_name = "taxCents")]
    pub tax_cents: f64,
    #[napi(js_name = "totalCents")]
    pub total_cents: f64,
}

// The TypeScript it replaces:
//
//     export function computeInvoice(items: LineItem[], defaultTaxBasisPoints: number): Invoice {
//       const lines: LineTotal[] = [];
//       let subtotalCents = 0;
//       let discountCents = 0;
//       let taxCents = 0;
//       for (const item of items) {
//         const gross = item.unitPriceCents * item.quantity;
//         const discount = applyBasisPoints(gross, item.discountBasisPoints ?? 0);
//         const net = gross - discount;
//         const tax = applyBasisPoints(net, item.taxBasisPoints ?? defaultTaxBasisPoints);
//         lines.push({ sku: item.sku, netCents: net, discountCents: discount, taxCents: tax });
//         subtotalCents += gross;
//         discountCents += discount;
//         taxCents += tax;
//       }
//       return {
//         lines,
//         subtotalCents,
//         discountCents,
//         taxCents,
//         totalCents: subtotalCents - discountCents + taxCents,
//       };
//     }
#[napi(js_name = "computeInvoice")]
pub fn compute_invoice(
    items: Vec<LineItem>,
    default_tax_basis_points: u32,
) -> napi::Result<Invoice> {
    let mut invoice = Invoice {
        lines: Vec::with_capacity(items.len()),
        subtotal_cents: 0.0,
        discount_cents: 0.0,
        tax_cents: 0.0,
        total_cents: 0.0,
    };
    for item in items {
        let gross = item.unit_price_cents * item.quantity;
        let discount = apply_basis_points(gross, item.discount_basis_points.unwrap_or(0.0));
        let net = gross - discount;
        let tax = apply_basis_points(
            net,
            item.tax_basis_points
                .unwrap_or(f64::from(default_tax_basis_points)),
        );
        invoice.subtotal_cents += gross;
        invoice.discount_cents += discount;
        invoice.tax_cents += tax;
        invoice.lines.push(LineTotal {
            sku: item.sku,
            net_cents: net,
            discount_cents: discount,
            tax_cents: tax,
        });
    }
    invoice.total_cents = invoice.subtotal_cents - invoice.discount_cents + invoice.tax_cents;
    Ok(invoice)
}

/// `value * basis_points / 10000`, rounded half away from zero, in the same
/// f64 steps as the TypeScript so every result is bit for bit the same.
fn apply_basis_points(value: f64, basis_points: f64) -> f64 {
    let scaled = value * basis_points;
    let whole = (scaled / 10000.0).trunc();
    let rest = scaled - whole * 10000.0;
    if rest.abs() * 2.0 >= 10000.0 {
        whole + js_sign(scaled)
    } else {
        whole
    }
}

/// `Math.sign`: 0 for 0 (Rust's `signum` says 1).
fn js_sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}
