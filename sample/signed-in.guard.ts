import {
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request } from 'express';

/**
 * Lets signed-in visitors through. It reads the session like any other code of the request:
 * the module loads the session in a middleware, which Nest runs before guards.
 */
@Injectable()
export class SignedInGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (req.session.user) return true;
    throw new UnauthorizedException('Sign in to see your account.');
  }
}
