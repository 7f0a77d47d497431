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
  const check = (condition: string | undefined, current: Item | undefined, values: Item = {}) => {
    if (!condition) return true;
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
