/**
 * A fake of a narrow interface: the given methods, and a clear failure for any other call, so a
 * test notices when the code under test starts calling something it did not expect.
 */
export function strictFake<T extends object>(name: string, impl: Partial<T>): T {
  return new Proxy(impl, {
    get(target, prop, receiver) {
      if (prop in target || typeof prop === 'symbol' || prop === 'then') return Reflect.get(target, prop, receiver);
      return () => {
        throw new Error(`unexpected call: ${name}.${String(prop)}()`);
      };
    },
  }) as T;
}
