import type { Provider } from '@nestjs/common';
import { Bus } from '@juggernaut/messaging';
import { Metrics } from '@juggernaut/observability';
import { APP_CONFIG } from '@juggernaut/service-kit';
import { ModelClient } from './model-client';
import { Spend } from './spend';

/** The model settings a service's env carries (validated by the service's own config class). */
export interface LlmSettings {
  OPENAI_BASE_URL?: string;
  OPENAI_API_KEY?: string;
  JUGGERNAUT_MODEL: string;
  AGENT_MODELS_BY_LEVEL?: string;
  AGENT_PRICES?: string;
  AGENT_MODEL_MAX_RETRIES: number;
  AGENT_MODEL_TIMEOUT_MS: number;
  AGENT_CURRENCY: string;
}

/** The model client and spend accounting, configured from the service's env; `source` names the service in the ledger. */
export function llmProviders(source: string): Provider[] {
  return [
    {
      provide: ModelClient,
      useFactory: (config: LlmSettings, metrics: Metrics) =>
        new ModelClient(
          {
            ...(config.OPENAI_BASE_URL ? { baseUrl: config.OPENAI_BASE_URL } : {}),
            ...(config.OPENAI_API_KEY ? { apiKey: config.OPENAI_API_KEY } : {}),
            model: config.JUGGERNAUT_MODEL,
            ...(config.AGENT_MODELS_BY_LEVEL ? { modelsByLevel: config.AGENT_MODELS_BY_LEVEL } : {}),
            ...(config.AGENT_PRICES ? { prices: config.AGENT_PRICES } : {}),
            maxRetries: config.AGENT_MODEL_MAX_RETRIES,
            timeoutMs: config.AGENT_MODEL_TIMEOUT_MS,
          },
          metrics,
        ),
      inject: [APP_CONFIG, Metrics],
    },
    {
      provide: Spend,
      useFactory: (bus: Bus, config: LlmSettings, metrics: Metrics) =>
        new Spend(bus, { currency: config.AGENT_CURRENCY, source }, metrics),
      inject: [Bus, APP_CONFIG, Metrics],
    },
  ];
}
