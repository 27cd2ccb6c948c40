import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { renderError } from './page.js';

/**
 * Answers HTTP errors (the guard's 401, a bad form, an unknown route) with a small HTML page.
 * `status`, `type` and `send` are on Express's response and Fastify's reply alike; a full media
 * type, since Fastify's `type()` takes it as given (Express would look `html` up).
 */
@Catch(HttpException)
export class HtmlErrorFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<{
      status(code: number): { type(type: string): { send(body: string): unknown } };
    }>();
    const status = exception.getStatus();
    const body = exception.getResponse();
    const message =
      typeof body === 'object' && body !== null && 'message' in body
        ? String((body as { message: unknown }).message)
        : exception.message;
    res.status(status).type('text/html; charset=utf-8').send(renderError(status, message));
  }
}
