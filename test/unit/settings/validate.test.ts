import assert from 'node:assert/strict';
import { proposedPromoteFrom, sourceEnvFor } from '../../../src/services/deploy/plan.js';
import { UsageError } from '../../../src/errors.js';
import { parseSettingText } from '../../../src/settings/load.js';
import { promotionCycle, valueProblem } from '../../../src/settings/validate.js';
import type { Settings } from '../../../src/settings/schema.js';

const settings = (environments: string[], promoteFrom: Record<string, string>) => ({ environments, promoteFrom }) as Settings;

describe('settings validation', () => {
  it('given region names, then real ones pass and typos do not', () => {
    for (const r of ['us-east-1', 'eu-central-2', 'us-gov-west-1', 'cn-north-1', 'ap-southeast-4', 'il-central-1']) assert.equal(valueProblem('region', r), undefined, r);
    for (const r of ['x y', 'useast1', 'us-east', 'US-EAST-1', '']) assert.ok(valueProblem('region', r), r);
  });

  it('given registry hosts, then host[:port] with an optional scheme pass, spaces and paths do not', () => {
    for (const h of ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', '127.0.0.1:5000', 'http://localhost:5000', 'https://r.example.com/']) assert.equal(valueProblem('ecrRegistry', h), undefined, h);
    for (const h of ['a b', 'r.example.com/path', 'ftp://x', '']) assert.ok(valueProblem('ecrRegistry', h), h);
  });

  it('given promoteFrom maps, then self-sources and cycles are named', () => {
    assert.match(valueProblem('promoteFrom', { staging: 'staging' })!, /its own source/);
    assert.deepEqual(promotionCycle({ a: 'b', b: 'c', c: 'a' }), ['a', 'b', 'c', 'a']);
    assert.equal(promotionCycle({ production: 'staging', staging: 'dev' }), undefined);
    assert.throws(() => parseSettingText('promoteFrom', 'a=b,b=a', 'SGN_PROMOTE_FROM'), (e: unknown) => e instanceof UsageError && /cycle/.test(e.message) && /unset SGN_PROMOTE_FROM/.test(e.hint ?? ''));
  });

  it('given an env with no source, then the proposed promoteFrom keeps the other pairs and never makes a cycle', () => {
    assert.equal(proposedPromoteFrom(settings(['dev', 'staging', 'production'], { production: 'staging' }), 'staging'), 'production=staging,staging=dev');
    assert.equal(proposedPromoteFrom(settings(['staging', 'production'], { production: 'staging' }), 'staging'), undefined);
    assert.throws(
      () => sourceEnvFor(settings(['staging', 'production'], { production: 'staging' }), 'staging'),
      (e: unknown) => e instanceof UsageError && !/sgn config set/.test(e.hint ?? '') && /--from/.test(e.hint ?? ''),
    );
    assert.throws(() => sourceEnvFor(settings(['staging', 'production'], { production: 'staging' }), 'prod'), (e: unknown) => e instanceof UsageError && /not one of the environments/.test(e.hint ?? ''));
  });
});
