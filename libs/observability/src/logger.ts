import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import { currentCorrelationId } from './correlation';
import { redact, redactString } from './redact';

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Pretty, colourised lines for a terminal; JSON otherwise. Defaults to whether stdout is a TTY. */
  pretty?: boolean;
  /** Where to write; defaults to stdout. */
  destination?: NodeJS.WritableStream;
}

/** Structured JSON logs with the service name, correlation id and secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const format = process.env['LOG_FORMAT'];
  const pretty = options.pretty ?? (format === 'pretty' || (process.stdout.isTTY === true && format !== 'json'));
  const base = {
    level: options.level ?? 'info',
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    mixin() {
      const correlationId = currentCorrelationId();
      return correlationId ? { correlationId } : {};
    },
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (obj: Record<string, unknown>) => redact(obj),
    },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? redactString(a) : a)),
        );
      },
    },
  } satisfies pino.LoggerOptions;
  if (pretty && !options.destination) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return pino(base, (options.destination ?? process.stdout) as pino.DestinationStream);
}

const NOISY_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

/** Adapts the structured logger to Nest's LoggerService so framework messages are structured too. */
export class NestJsonLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    // Nest's boot chatter (modules loaded, routes mapped) is debug detail, not operational news.
    const context = rest[rest.length - 1];
    this.write(typeof context === 'string' && NOISY_CONTEXTS.has(context) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const extra = rest.filter((r) => r !== context);
    const fields: Record<string, unknown> = context ? { context } : {};
    if (extra.length > 0 && typeof extra[0] === 'string' && level === 'error') fields['stack'] = extra[0];
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...fields, ...(message as object) });
    else this.logger[level](fields, String(message));
  }
}
