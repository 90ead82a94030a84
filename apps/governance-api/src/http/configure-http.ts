import { type INestApplication, ValidationPipe } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { rawBody } from '../webhooks/raw-body';
import { BodyShapePipe } from './body-shape.pipe';
import { completeOpenApi } from './openapi-conventions';

/** The REST conventions of the public API: base path, strict validation, Swagger at /docs. */
export function configureHttp(app: INestApplication, proxyHops = 0, webhookMaxBytes = 512 * 1024): void {
  // The client address (per-address rate limit of unauthenticated calls) comes from X-Forwarded-For
  // only through as many proxies as are configured; otherwise it is the TCP peer.
  if (proxyHops > 0)
    (app.getHttpAdapter().getInstance() as { set(setting: string, value: unknown): void }).set(
      'trust proxy',
      proxyHops,
    );
  // Webhooks are verified over the bytes that were signed: their bodies are read raw, before the JSON
  // parser (registered when the app initialises, after this) would turn them into objects.
  app.use('/api/v1/webhooks', rawBody(webhookMaxBytes));
  app.setGlobalPrefix('api/v1', { exclude: ['health/live', 'health/ready', 'metrics'] });
  app.useGlobalPipes(
    new BodyShapePipe(),
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      validationError: { target: false, value: false },
    }),
  );
  // Summaries, error answers, success statuses, servers and tag descriptions by convention, so a new
  // route is complete without its author remembering each (http/openapi-conventions.ts).
  const document = completeOpenApi(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Juggernaut API')
        .setDescription('Governance and operations API of Juggernaut, the self-operating business system.')
        .setVersion('1')
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key' })
        .build(),
    ),
    app,
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
