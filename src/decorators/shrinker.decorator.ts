/** The metadata key under which `@Shrinker` records its registrations on a method. */
export const SHRINKER_METADATA = 'nestjs-chunked-session:shrinker';

export interface ShrinkerMetadata {
  key: string;
  priority: number;
}

/**
 * Marks a provider method as the shrink policy of one session key. It only records metadata;
 * the module finds it at start-up. Lowest `priority` is shrunk first (default 0).
 */
export function Shrinker(key: string, options: { priority?: number } = {}): MethodDecorator {
  return (_target, _property, descriptor) => {
    const method = descriptor.value as object;
    const existing: ShrinkerMetadata[] = Reflect.getMetadata(SHRINKER_METADATA, method) ?? [];
    Reflect.defineMetadata(
      SHRINKER_METADATA,
      [...existing, { key, priority: options.priority ?? 0 }],
      method,
    );
    return descriptor;
  };
}
