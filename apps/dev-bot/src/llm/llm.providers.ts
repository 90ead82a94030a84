import type { Provider } from '@nestjs/common';
import { ModelClient, Spend } from '@juggernaut/llm';
import { Bus } from '@juggernaut/messaging';
import { Metrics } from '@juggernaut/observability';
import { APP_CONFIG } from '@juggernaut/service-kit';
import type { DevBotEnv } from '../config';

/** The same model client and spend accounting as agent-runner, configured from dev-bot's env. */
export const llmProviders: Provider[] = [
  {
    provide: ModelClient,
    useFactory: (config: DevBotEnv, metrics: Metrics) => new ModelClient({
      ...(config.OPENAI_BASE_URL ? { baseUrl: config.OPENAI_BASE_URL } : {}),
      ...(config.OPENAI_API_KEY ? { apiKey: config.OPENAI_API_KEY } : {}),
      model: config.JUGGERNAUT_MODEL,
      ...(config.AGENT_PRICES ? { prices: config.AGENT_PRICES } : {}),
      maxRetries: config.AGENT_MODEL_MAX_RETRIES,
      timeoutMs: config.AGENT_MODEL_TIMEOUT_MS,
    }, metrics),
    inject: [APP_CONFIG, Metrics],
  },
  {
    provide: Spend,
    useFactory: (bus: Bus, config: DevBotEnv, metrics: Metrics) => new Spend(bus, { currency: config.AGENT_CURRENCY, source: 'dev-bot' }, metrics),
    inject: [Bus, APP_CONFIG, Metrics],
  },
];
