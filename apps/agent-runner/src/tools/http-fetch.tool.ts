import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { checkUrl, type Resolver } from './ssrf-guard';
import { type AgentTool, type JsonSchema, type ToolContext, ToolError } from './tool';

export interface HttpFetchLimits {
  allowHosts: readonly string[];
  maxBytes: number;
  timeoutMs: number;
  maxRedirects?: number;
  resolve?: Resolver;
}

/**
 * `http_fetch`: GET a public URL. Every hop (redirects included) passes the SSRF guard and
 * connects to the very address the guard checked; the body is cut at the size limit and the
 * whole fetch at the time limit. No other method, no request body, no cookies, no credentials.
 */
export class HttpFetchTool implements AgentTool {
  readonly name = 'http_fetch';
  readonly description =
    'GET a public http(s) URL and return its status, content type and body text (truncated at the size limit).';
  readonly minLevel = 2;
  readonly sideEffects = false;
  readonly parameters: JsonSchema = {
    type: 'object',
    properties: { url: { type: 'string', maxLength: 2048, description: 'Absolute http or https URL.' } },
    required: ['url'],
    additionalProperties: false,
  };

  constructor(private readonly limits: HttpFetchLimits) {}

  async run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
    return fetchGuarded(String(args['url']), this.limits, ctx.signal);
  }
}

export interface FetchResult {
  url: string;
  status: number;
  contentType: string | null;
  body: string;
  truncated: boolean;
}

export async function fetchGuarded(rawUrl: string, limits: HttpFetchLimits, signal: AbortSignal): Promise<FetchResult> {
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(limits.timeoutMs)]);
  try {
    return await fetchHops(rawUrl, limits, deadline);
  } catch (e) {
    if (signal.aborted) throw signal.reason ?? e;
    if (deadline.aborted) throw new ToolError(`fetch timed out after ${limits.timeoutMs} ms`);
    throw e;
  }
}

async function fetchHops(rawUrl: string, limits: HttpFetchLimits, deadline: AbortSignal): Promise<FetchResult> {
  let current = rawUrl;
  for (let hop = 0; hop <= (limits.maxRedirects ?? 5); hop++) {
    let checked;
    try {
      checked = await checkUrl(current, limits.allowHosts, limits.resolve);
    } catch (e) {
      throw new ToolError((e as Error).message);
    }
    const res = await get(checked.url, checked.address, deadline);
    const location = res.headers.location;
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
      res.resume();
      current = new URL(location, checked.url).toString();
      continue;
    }
    const { body, truncated } = await readLimited(res, limits.maxBytes, deadline);
    return {
      url: checked.url.toString(),
      status: res.statusCode ?? 0,
      contentType: res.headers['content-type'] ?? null,
      body,
      truncated,
    };
  }
  throw new ToolError(`too many redirects (more than ${limits.maxRedirects ?? 5})`);
}

function get(url: URL, address: string, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const family = isIP(address);
    const req = request(
      url,
      {
        method: 'GET',
        signal,
        headers: { 'user-agent': 'juggernaut-agent/1', accept: '*/*' },
        // Connect to the address the guard approved, never to a fresh DNS answer.
        lookup: (_host, opts, cb) => {
          if ((opts as { all?: boolean }).all)
            (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [
              { address, family },
            ]);
          else cb(null, address, family);
        },
      },
      resolve,
    );
    req.on('error', (e) => reject(signal.aborted ? (signal.reason ?? e) : new ToolError(`fetch failed: ${e.message}`)));
    req.end();
  });
}

function readLimited(
  res: IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ body: string; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    const onAbort = () => {
      res.destroy();
      reject(signal.reason ?? new ToolError('fetch aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    res.on('data', (c: Buffer) => {
      if (truncated) return;
      if (size + c.length > maxBytes) {
        chunks.push(c.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        res.destroy();
        signal.removeEventListener('abort', onAbort);
        resolve({ body: Buffer.concat(chunks).toString('utf8'), truncated });
        return;
      }
      chunks.push(c);
      size += c.length;
    });
    res.on('end', () => {
      signal.removeEventListener('abort', onAbort);
      resolve({ body: Buffer.concat(chunks).toString('utf8'), truncated });
    });
    res.on('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      if (!truncated) reject(new ToolError(`fetch failed: ${e.message}`));
    });
  });
}
