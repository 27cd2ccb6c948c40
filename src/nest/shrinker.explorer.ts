import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { SessionEngine } from '../core/session-engine.js';
import { SHRINKER_METADATA, type ShrinkerMetadata } from '../decorators/shrinker.decorator.js';
import type { ShrinkerRegistration } from '../shrinking/shrink-types.js';
import { CHUNKED_SESSION_ENGINE } from './chunked-session.module-definition.js';

/**
 * Finds every `@Shrinker()` method once, at start-up, and registers it with the engine.
 * (DiscoveryService finds class decorators only; methods need a scan of each provider.)
 */
@Injectable()
export class ShrinkerExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(CHUNKED_SESSION_ENGINE) private readonly engine: SessionEngine,
  ) {}

  onModuleInit(): void {
    const found: ShrinkerRegistration[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) continue;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[name];
        if (typeof method !== 'function') continue;
        const marks: ShrinkerMetadata[] | undefined = Reflect.getMetadata(
          SHRINKER_METADATA,
          method,
        );
        if (!marks) continue;
        if (!wrapper.isDependencyTreeStatic()) {
          this.engine.options.logger.warn(
            `@Shrinker on ${wrapper.name}.${name} is ignored: shrinkers must be on singleton providers`,
          );
          continue;
        }
        for (const mark of marks) {
          found.push({ key: mark.key, priority: mark.priority, shrink: method.bind(instance) });
        }
      }
    }
    this.engine.addShrinkers(found);
  }
}
