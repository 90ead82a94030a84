import type { NextFunction, Request, Response } from 'express';

/**
 * Reads a webhook's body as the bytes that were signed, before any parser sees it: a signature is
 * checked over exactly what was sent, and JSON parsing and re-serialising would change it. Mounted
 * on the webhook routes only (see configure-http.ts); the JSON parser that runs later finds the
 * request already read and leaves it alone. Over `limit` bytes: 413, before the rest is read.
 */
export function rawBody(limit: number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      res
        .status(413)
        .json({ statusCode: 413, error: 'Payload Too Large', message: `webhook bodies are limited to ${limit} bytes` });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        res.status(413).json({
          statusCode: 413,
          error: 'Payload Too Large',
          message: `webhook bodies are limited to ${limit} bytes`,
        });
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      (req as Request & { body: unknown }).body = Buffer.concat(chunks);
      next();
    });
    req.on('error', (e) => {
      if (done) return;
      done = true;
      next(e);
    });
  };
}
