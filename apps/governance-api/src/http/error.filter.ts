import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import { isDataException } from '@juggernaut/messaging';
import { LOGGER } from '@juggernaut/service-kit';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import type { Response } from 'express';
import type { Logger } from 'pino';

/**
 * One error shape for every route: `{ statusCode, error, message }`. Errors that carry a 4xx
 * status (bad cursor, remote validation) keep it; anything unexpected is a 500 that is logged
 * and never echoes internals to the caller.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      res
        .status(exception.getStatus())
        .json(typeof body === 'string' ? { statusCode: exception.getStatus(), message: body } : body);
      return;
    }
    const status = (exception as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ statusCode: status, error: 'Request rejected', message: (exception as Error).message });
      return;
    }
    if (isDataException(exception)) {
      // Postgres refused a value the caller sent (a malformed time or number cast, an out-of-range
      // amount): the request was bad, nothing was changed, and the caller learns which kind of value.
      this.logger.warn({ err: exception }, 'a request value was refused by the database');
      res.status(400).json({
        statusCode: 400,
        error: 'Bad Request',
        message: 'a value in the request is malformed or out of range',
      });
      return;
    }
    if (
      exception instanceof NoRespondersError ||
      exception instanceof TimeoutError ||
      exception instanceof RequestError
    ) {
      // The owning service is down or overloaded: the caller may retry; nothing was wrong with the request.
      this.logger.warn({ err: exception }, 'a service behind this route did not answer');
      res.status(503).setHeader('Retry-After', '1').json({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'the service that owns this resource did not answer; retry shortly',
      });
      return;
    }
    this.logger.error({ err: exception }, 'unhandled error');
    res.status(500).json({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  }
}
