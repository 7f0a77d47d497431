import type { DeployRecord } from '../records.js';
import type { PromotePlan } from './plan.js';

export type Verification = { ok: true; record: DeployRecord } | { ok: false; record?: DeployRecord; reason: string };

/** Is `after` a newer write than `before` (the deployer's `Deployed`, epoch seconds as a string)? */
export function isNewer(after: DeployRecord, before: DeployRecord | undefined): boolean {
  if (!before) return true;
  if (after.deployedRaw === before.deployedRaw) return false;
  if (!after.deployedAt) return false;
  return before.deployedAt ? after.deployedAt.getTime() > before.deployedAt.getTime() : true;
}

/**
 * Decides whether a promotion took effect from the target record read after the invoke: it must
 * carry the tag the deployer deploys (the artifact's commitref) and a newer `Deployed` than before. The deployer's "Success" alone proves
 * nothing (it answers Success when it found nothing to deploy).
 */
export function verifyPromotion(plan: Pick<PromotePlan, 'source' | 'target' | 'to'> & { tag?: string }, after: DeployRecord | undefined): Verification {
  if (!after) return { ok: false, reason: `there is still no ${plan.to} record` };
  // The deployer records the artifact's commitref (plan.tag), which may differ from the source record's Tag.
  const expected = plan.tag ?? plan.source.tag;
  if (after.tag !== expected) return { ok: false, record: after, reason: `${plan.to} still runs ${after.tag ?? 'an unknown tag'}` };
  if (!isNewer(after, plan.target)) return { ok: false, record: after, reason: `the ${plan.to} record was not rewritten (Deployed is still ${after.deployedRaw ?? 'missing'})` };
  return { ok: true, record: after };
}
