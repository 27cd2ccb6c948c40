import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { SessionHandle as Handle } from '../core/session-handle.js';
import { requestOf } from '../nest/request-of.js';

/** `@SessionHandle() handle: SessionHandle`: destroy, regenerate, touch, isNew. */
export const SessionHandle = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) => requestOf(ctx)?.sessionHandle,
);
/** The handle's type has the decorator's name, so one import serves both. */
export type SessionHandle = Handle;
