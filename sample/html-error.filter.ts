import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { renderError } from './page.js';

/** Answers HTTP errors (the guard's 401, a bad form, an unknown route) with a small HTML page. */
@Catch(HttpException)
export class HtmlErrorFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const status = exception.getStatus();
    const body = exception.getResponse();
    const message =
      typeof body === 'object' && body !== null && 'message' in body
        ? String((body as { message: unknown }).message)
        : exception.message;
    res.status(status).type('html').send(renderError(status, message));
  }
}
