import fc from 'fast-check';
export function storageProperty(): fc.IPropertyWithHooks<[number]> {
  return fc.property(fc.integer(), () => {}) as unknown as fc.IPropertyWithHooks<[number]>;
}
