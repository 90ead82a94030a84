import type { ChangeReviewV1 } from '@juggernaut/contracts';

/**
 * Reads the reviewer's answer: JSON `{"approve": boolean, "reasons": string[]}` and nothing else
 * (a ```json fence is tolerated). Anything that is not exactly that counts as "no", with the reason.
 */
export function parseVerdict(content: string | null | undefined): ChangeReviewV1 & { valid: boolean } {
  const text = (content ?? '')
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid('the reviewer did not answer with JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return invalid("the reviewer's answer is not a JSON object");
  const v = value as Record<string, unknown>;
  const extra = Object.keys(v).filter((k) => k !== 'approve' && k !== 'reasons');
  if (extra.length) return invalid(`the reviewer's answer has unexpected fields: ${extra.join(', ')}`);
  if (typeof v['approve'] !== 'boolean') return invalid('the reviewer\'s answer has no boolean "approve"');
  const reasons = v['reasons'];
  if (
    !Array.isArray(reasons) ||
    reasons.length > 50 ||
    !reasons.every((r) => typeof r === 'string' && r.length <= 2_000)
  ) {
    return invalid('the reviewer\'s "reasons" is not a list of strings');
  }
  if (!v['approve'] && reasons.length === 0)
    return { approve: false, reasons: ['the reviewer rejected the change without giving a reason'], valid: true };
  return { approve: v['approve'], reasons: reasons as string[], valid: true };
}

function invalid(reason: string): ChangeReviewV1 & { valid: boolean } {
  return {
    approve: false,
    reasons: [`${reason}; a verdict that is not {"approve": boolean, "reasons": [string]} counts as no`],
    valid: false,
  };
}
