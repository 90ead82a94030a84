import {
  CORRELATION_HEADER,
  LATENCY_BUCKETS,
  type Metrics,
  sanitizeCorrelationId,
  withCorrelation,
} from '@juggernaut/observability';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** Carries the caller's correlation id (or a new one) through the request and back in the response. */
export function correlationMiddleware(req: Request, res: Response, next: NextFunction): void {
  const id = sanitizeCorrelationId(req.header(CORRELATION_HEADER)) ?? randomUUID();
  res.setHeader(CORRELATION_HEADER, id);
  withCorrelation(id, () => next());
}

/** Request duration by method, matched route (bounded) and status code. */
export function httpMetricsMiddleware(metrics: Metrics) {
  const duration = metrics.histogram(
    'juggernaut_http_request_duration_seconds',
    'HTTP request duration',
    ['method', 'route', 'status_code'],
    LATENCY_BUCKETS,
  );
  return (req: Request, res: Response, next: NextFunction): void => {
    const end = duration.startTimer();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      const base = req.baseUrl ?? '';
      end({ method: req.method, route: route ? `${base}${route}` : 'unmatched', status_code: String(res.statusCode) });
    });
    next();
  };
}
