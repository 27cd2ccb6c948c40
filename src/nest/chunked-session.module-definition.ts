import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ChunkedSessionOptions } from '../options/options.types.js';

/** `forRoot` / `forRootAsync` (useFactory, useClass, useExisting) for free. */
export const {
  ConfigurableModuleClass: ChunkedSessionConfigurableModule,
  MODULE_OPTIONS_TOKEN: CHUNKED_SESSION_OPTIONS,
  OPTIONS_TYPE: CHUNKED_SESSION_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CHUNKED_SESSION_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ChunkedSessionOptions>({ moduleName: 'ChunkedSession' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createChunkedSessionOptions')
  .build();

/** The engine of the module's session. */
export const CHUNKED_SESSION_ENGINE = Symbol('CHUNKED_SESSION_ENGINE');
