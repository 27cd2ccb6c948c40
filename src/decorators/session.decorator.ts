import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/**
 * `@Session()` gives the whole session, a mutable plain object; `@Session('key')` gives one
 * field (read only: assign through `@Session()` to change it).
 * Import this one: `@nestjs/common` exports its own `Session`, which has no key form.
 */
export const Session = createParamDecorator((key: string | undefined, ctx: ExecutionContext) => {
  const session = ctx.switchToHttp().getRequest<{ session?: Record<string, unknown> }>().session;
  if (key === undefined) return session;
  // Own fields only: `@Session('constructor')` must not read Object.prototype.
  return session && Object.prototype.hasOwnProperty.call(session, key) ? session[key] : undefined;
});
