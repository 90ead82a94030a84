/**
 * The body type a request gets when the caller names none. It stays `any` on purpose: some six hundred call
 * sites read `res.body.field` from untyped requests, and typing each (with `unknown` as the default) is a
 * change of its own. Callers that read a body should name its contract type: `api.get<TaskV1>(...)`.
 */
type UntypedBody = any;

/** A small JSON client over fetch for tests that drive the REST API as a user would. */
export interface JsonResponse<T = UntypedBody> {
  status: number;
  body: T;
  headers: Headers;
}

export function apiClient(baseUrl: string, key?: string) {
  const call = async <T = UntypedBody>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<JsonResponse<T>> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  return {
    get: <T = UntypedBody>(path: string) => call<T>('GET', path),
    post: <T = UntypedBody>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
    put: <T = UntypedBody>(path: string, body?: unknown) => call<T>('PUT', path, body ?? {}),
    patch: <T = UntypedBody>(path: string, body?: unknown) => call<T>('PATCH', path, body ?? {}),
    delete: <T = UntypedBody>(path: string) => call<T>('DELETE', path),
    call,
  };
}

/** Polls until `check` returns a truthy value or the time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
