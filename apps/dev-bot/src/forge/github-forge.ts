import { redactString, registerSecret } from '@juggernaut/observability';
import type { Forge, PullRequestRef } from './forge';
import { ForgeError } from './forge-error';

export interface GitHubForgeOptions {
  token: string;
  /** owner/name */
  repository: string;
  /** Defaults to https://api.github.com (GitHub Enterprise: https://HOST/api/v3). */
  apiUrl?: string;
  /** Per-request time limit. Default 30 s. */
  timeoutMs?: number;
  /** Retries of a request GitHub answered 502/503/504 or could not be reached for. Default 2. */
  retries?: number;
}

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** Pull requests on GitHub through its REST API. The token goes only into the Authorization header. */
export class GitHubForge implements Forge {
  readonly kind = 'github' as const;
  private readonly token: string;
  private readonly repository: string;
  private readonly apiUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(o: GitHubForgeOptions) {
    if (typeof o.token !== 'string' || !o.token.trim()) throw new ForgeError('GitHub token must be set', null);
    if (!REPOSITORY.test(o.repository ?? ''))
      throw new ForgeError(`GitHub repository "${o.repository}" must be owner/name`, null);
    const api = o.apiUrl ?? 'https://api.github.com';
    if (!/^https?:\/\/[^\s/]+/.test(api)) throw new ForgeError(`GitHub apiUrl "${api}" must be an http(s) URL`, null);
    registerSecret(o.token);
    this.token = o.token;
    this.repository = o.repository;
    this.apiUrl = api.replace(/\/+$/, '');
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.retries = o.retries ?? 2;
  }

  /** The https clone URL that authenticates with the token (for git; never log it unredacted). */
  static cloneUrl(repository: string, token: string, host = 'github.com'): string {
    registerSecret(token);
    return `https://x-access-token:${encodeURIComponent(token)}@${host}/${repository}.git`;
  }

  /** Opens a pull request, or returns the open one for the same branch and target (so a retry is harmless). */
  async openPullRequest(o: {
    branch: string;
    targetBranch: string;
    title: string;
    body: string;
  }): Promise<PullRequestRef> {
    const res = await this.call(
      'POST',
      '/pulls',
      { title: o.title, head: o.branch, base: o.targetBranch, body: o.body, maintainer_can_modify: false },
      [201, 422],
    );
    if (res.status === 201) return toRef(res.body);
    if (!/already exists/i.test(JSON.stringify(res.body)))
      throw this.error('open a pull request', res.status, res.body);
    const owner = this.repository.split('/')[0]!;
    const query = new URLSearchParams({ head: `${owner}:${o.branch}`, base: o.targetBranch, state: 'open' });
    const list = await this.call('GET', `/pulls?${query}`, undefined, [200]);
    const existing = Array.isArray(list.body) ? list.body[0] : undefined;
    if (!existing) throw this.error('open a pull request', res.status, res.body);
    return toRef(existing);
  }

  /** Squash-merges the pull request and returns the commit GitHub made. */
  async merge(o: { number: number; title: string; message: string }): Promise<{ commit: string }> {
    const res = await this.call(
      'PUT',
      `/pulls/${pullNumber(o.number)}/merge`,
      { merge_method: 'squash', commit_title: o.title, commit_message: o.message },
      [200],
    );
    const sha = (res.body as { sha?: unknown } | null)?.sha;
    if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha))
      throw new ForgeError('GitHub merged the pull request but did not return its commit', res.status);
    return { commit: sha };
  }

  async comment(o: { number: number; body: string }): Promise<void> {
    if (!o.body?.trim()) throw new ForgeError('comment body must not be empty', null);
    await this.call('POST', `/issues/${pullNumber(o.number)}/comments`, { body: o.body }, [201]);
  }

  private async call(
    method: string,
    path: string,
    body: unknown,
    expected: number[],
  ): Promise<{ status: number; body: unknown }> {
    const url = `${this.apiUrl}/repos/${this.repository}${path}`;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: {
            accept: 'application/vnd.github+json',
            authorization: `Bearer ${this.token}`,
            'x-github-api-version': '2022-11-28',
            'user-agent': 'juggernaut-dev-bot',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
          redirect: 'error',
        });
      } catch (err) {
        if (attempt < this.retries) {
          await pause(attempt);
          continue;
        }
        throw new ForgeError(
          redactString(`GitHub could not be reached for ${method} ${path}: ${(err as Error).message}`),
          null,
        );
      }
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text for the error message
      }
      if (expected.includes(res.status)) return { status: res.status, body: parsed };
      if ([502, 503, 504].includes(res.status) && attempt < this.retries) {
        await pause(attempt);
        continue;
      }
      throw this.error(`${method} ${path}`, res.status, parsed);
    }
  }

  private error(what: string, status: number, body: unknown): ForgeError {
    const b = body as { message?: unknown; errors?: Array<{ message?: unknown; code?: unknown }> } | null;
    const detail = [
      typeof b?.message === 'string' ? b.message : typeof body === 'string' ? body.slice(0, 300) : '',
      ...(b?.errors ?? []).map((e) => String(e.message ?? e.code ?? '')),
    ]
      .filter(Boolean)
      .join('; ');
    return new ForgeError(
      redactString(`GitHub refused to ${what} in ${this.repository} (HTTP ${status})${detail ? `: ${detail}` : ''}`),
      status,
    );
  }
}

function toRef(body: unknown): PullRequestRef {
  const b = body as { number?: unknown; html_url?: unknown } | null;
  if (typeof b?.number !== 'number' || typeof b.html_url !== 'string')
    throw new ForgeError('GitHub answered without a pull request number and URL', null);
  return { number: b.number, url: b.html_url };
}

function pullNumber(n: number): number {
  if (!Number.isInteger(n) || n < 1)
    throw new ForgeError(`pull request number must be a positive integer, got ${String(n)}`, null);
  return n;
}

function pause(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
}
