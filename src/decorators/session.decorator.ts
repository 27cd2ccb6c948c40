import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { requestOf } from '../nest/request-of.js';

/**
 * `@Session()` gives the whole session, a mutable plain object; `@Session('key')` gives one
 * field (read only: assign through `@Session()` to change it).
 * Import this one: `@nestjs/common` exports its own `Session`, which has no key form.
 * Works in controllers, GraphQL resolvers (the context carries `req`) and gateway handlers.
 */
export const Session = createParamDecorator((key: string | undefined, ctx: ExecutionContext) => {
  const session = requestOf(ctx)?.session;
  if (key === undefined) return session;
  // Own fields only: `@Session('constructor')` must not read Object.prototype.
  return session && Object.prototype.hasOwnProperty.call(session, key) ? session[key] : undefined;
});
