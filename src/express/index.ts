/**
 * `nestjs-chunked-session/express`: the Express middleware and everything it needs, without
 * importing NestJS (the package root also exports these, next to the Nest module).
 */
import './request.augmentation.js';

export { chunkedSession } from './chunked-session.middleware.js';
export * from '../framework-free.js';
