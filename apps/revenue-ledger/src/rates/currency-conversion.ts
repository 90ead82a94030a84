/** Digits after the decimal point of a currency's minor unit (USD 2, JPY 0, BHD 3). */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * Converts minor units of one currency into minor units of the base currency at `rate` (units of
 * base per unit of the currency), rounding toward zero so progress is never overstated.
 */
export function toBaseMinor(amountMinor: number, currency: string, rate: string, baseCurrency: string): number {
  if (currency === baseCurrency) return amountMinor;
  const shift = minorUnitDigits(baseCurrency) - minorUnitDigits(currency);
  const [whole, frac = ''] = rate.split('.');
  // Exact decimal arithmetic in BigInt: amount × rate × 10^shift, with rate = digits / 10^frac.length.
  const digits = BigInt(`${whole}${frac}`);
  let num = BigInt(amountMinor) * digits;
  let den = 10n ** BigInt(frac.length);
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den *= 10n ** BigInt(-shift);
  return Number(num / den);
}
