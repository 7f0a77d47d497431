import type { DynamoApi, Item } from '../../../src/aws/dynamodb.js';
import { strictFake } from './fakes.js';

const conditionFailed = (item?: Item) => Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException', Item: item });

/**
 * An in-memory deploy table behind the DynamoApi operations the lock and the records use, with
 * the few condition expressions sgn writes. Anything else is an unexpected call.
 */
export function memoryTable(): DynamoApi & { items: Map<string, Item>; get(project: string, env: string): Item | undefined; put(item: Item): void } {
  const items = new Map<string, Item>();
  const keyOf = (k: Item) => `${k.Application.S}\u0000${k.Env.S}`;
  const check = (condition: string | undefined, current: Item | undefined, values: Item = {}, names: Record<string, string> = {}): boolean => {
    if (!condition) return true;
    // The lock's checks that records are unchanged: clauses joined by AND, names as #n.
    if (condition.includes(' AND ')) return condition.split(' AND ').every((c) => check(c, current, values, names));
    const name = (n: string) => names[n] ?? n;
    const exists = /^attribute_(not_)?exists\(([#\w]+)\)$/.exec(condition);
    if (exists && exists[2] !== 'Application' && exists[2] !== 'Expires' && exists[2] !== 'Env') return Boolean(current && current[name(exists[2])]) !== Boolean(exists[1]);
    if (condition === 'attribute_exists(Application)') return Boolean(current);
    const eq = /^(#\w+) = (:\w+)$/.exec(condition);
    if (eq) return Boolean(current) && JSON.stringify(current![name(eq[1])]) === JSON.stringify(values[eq[2]]);
    if (condition === 'attribute_not_exists(Application)') return !current;
    if (condition === 'attribute_not_exists(Expires)') return Boolean(current) && !current!.Expires;
    if (condition === 'attribute_not_exists(Env)') return !current;
    const m = /^(\w+) = (:\w+)$/.exec(condition);
    if (m) return Boolean(current) && JSON.stringify(current![m[1]]) === JSON.stringify(values[m[2]]);
    throw new Error(`memoryTable: unsupported condition ${condition}`);
  };
  const api = strictFake<DynamoApi>('dynamodb', {
    getItem: async (input) => ({ Item: items.get(keyOf(input.Key!)), $metadata: {} }),
    // Only the key conditions sgn writes: the hash key, optionally with begins_with on Env.
    query: async (input) => {
      const values = input.ExpressionAttributeValues ?? {};
      const m = /^Application = (:\w+)(?: AND begins_with\(Env, (:\w+)\))?$/.exec(input.KeyConditionExpression ?? '');
      if (!m || input.FilterExpression) throw new Error(`memoryTable: unsupported query ${input.KeyConditionExpression}`);
      const project = values[m[1]].S;
      const prefix = m[2] ? values[m[2]].S! : '';
      const found = [...items.values()].filter((i) => i.Application.S === project && i.Env.S!.startsWith(prefix)).sort((a, b) => (a.Env.S! < b.Env.S! ? -1 : 1));
      return { Items: input.ScanIndexForward === false ? found.reverse() : found, $metadata: {} };
    },
    putItem: async (input) => {
      const current = items.get(keyOf(input.Item!));
      if (!check(input.ConditionExpression, current, input.ExpressionAttributeValues)) throw conditionFailed(current);
      items.set(keyOf(input.Item!), input.Item!);
    },
    // Put and ConditionCheck items, all or nothing, cancelled with reasons as DynamoDB does.
    transactWriteItems: async (input) => {
      const ops = input.TransactItems ?? [];
      const reasons = ops.map((op) => {
        const { key, condition, values, names } = op.Put
          ? { key: op.Put.Item, condition: op.Put.ConditionExpression, values: op.Put.ExpressionAttributeValues, names: op.Put.ExpressionAttributeNames }
          : op.ConditionCheck
            ? { key: op.ConditionCheck.Key, condition: op.ConditionCheck.ConditionExpression, values: op.ConditionCheck.ExpressionAttributeValues, names: op.ConditionCheck.ExpressionAttributeNames }
            : (() => {
                throw new Error('memoryTable: only Put and ConditionCheck in a transaction');
              })();
        const current = items.get(keyOf(key!));
        return check(condition, current, values, names) ? { Code: 'None' } : { Code: 'ConditionalCheckFailed', Item: current };
      });
      if (reasons.some((r) => r.Code !== 'None')) throw Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException', CancellationReasons: reasons });
      for (const op of ops) if (op.Put) items.set(keyOf(op.Put.Item!), op.Put.Item!);
    },
    scan: async (input) => ({ Items: [...items.values()].filter((_, n) => n % (input.TotalSegments ?? 1) === (input.Segment ?? 0)), $metadata: {} }),
    deleteItem: async (input) => {
      const current = items.get(keyOf(input.Key!));
      if (!check(input.ConditionExpression, current, input.ExpressionAttributeValues)) throw conditionFailed(current);
      items.delete(keyOf(input.Key!));
    },
  });
  return Object.assign(api, {
    items,
    get: (project: string, env: string) => items.get(`${project}\u0000${env}`),
    put: (item: Item) => void items.set(keyOf(item), item),
  });
}
