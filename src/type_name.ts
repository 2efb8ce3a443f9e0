/**
 * Class names as PyTorch prints them. Minifiers rename classes, so
 * `constructor.name` of a bundled `InstanceNorm2d` may read `e`: every
 * library class that prints its name (modules, optimizers, errors) declares
 * it as a static `typeName`. A user's subclass that declares none is named
 * by its own class name (PyTorch prints a subclass's name, not its base's).
 */
export function typeNameOf(ctor: unknown): string {
  if (typeof ctor !== 'function') return 'object';
  if (Object.hasOwn(ctor, 'typeName')) {
    const t = (ctor as { typeName?: unknown }).typeName;
    if (typeof t === 'string') return t;
  }
  return ctor.name;
}
