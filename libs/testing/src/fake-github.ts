import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The slice of GitHub's REST API that a forge client uses for pull requests, on 127.0.0.1 for tests:
 * create/list pull requests, squash-merge, and issue comments, with GitHub's status codes and error bodies.
 * It records every request so a test can assert what was sent. Scripted failures come first, in order.
 */
export interface FakeGitHubRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body (the fields the fake reads), the raw text when it is not JSON, or nothing. */
  body: GitHubRequestBody | string | undefined;
}

/** The request fields of the pull request and comment endpoints the fake serves. */
export interface GitHubRequestBody {
  title?: string;
  head?: string;
  base?: string;
  body?: string;
  merge_method?: string;
  commit_title?: string;
}

export interface FakePull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergeable: boolean;
  mergeCommit?: string;
  comments: string[];
}

export class FakeGitHub {
  readonly requests: FakeGitHubRequest[] = [];
  readonly pulls: FakePull[] = [];
  /** Answers for the next requests, taken before any normal handling. */
  readonly failures: Array<{ status: number; body?: unknown; headers?: Record<string, string> }> = [];
  private server?: Server;
  private nextNumber = 1;

  constructor(
    /** owner/name this server hosts; other repositories answer 404. */
    readonly repository: string,
    /** The only token accepted. */
    readonly token: string,
  ) {}

  get url(): string {
    const a = this.server?.address() as AddressInfo | undefined;
    if (!a) throw new Error('fake GitHub is not listening');
    return `http://127.0.0.1:${a.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        let body: FakeGitHubRequest['body'];
        try {
          body = raw ? (JSON.parse(raw) as GitHubRequestBody) : undefined;
        } catch {
          body = raw;
        }
        const recorded: FakeGitHubRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body,
        };
        this.requests.push(recorded);
        const [status, payload, headers] = this.handle(recorded);
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(payload === undefined ? '' : JSON.stringify(payload));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private handle(r: FakeGitHubRequest): [number, unknown, Record<string, string>?] {
    const scripted = this.failures.shift();
    if (scripted) return [scripted.status, scripted.body ?? { message: 'Scripted failure' }, scripted.headers];
    if (r.headers['authorization'] !== `Bearer ${this.token}`)
      return [401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' }];
    const prefix = `/repos/${this.repository}`;
    if (!r.path.startsWith(`${prefix}/`)) return [404, { message: 'Not Found' }];
    const rest = r.path.slice(prefix.length);
    const fields: GitHubRequestBody = typeof r.body === 'object' ? r.body : {};
    const owner = this.repository.split('/')[0];
    const view = (p: FakePull) => ({
      number: p.number,
      html_url: `https://github.com/${this.repository}/pull/${p.number}`,
      url: `${this.url}${prefix}/pulls/${p.number}`,
      state: p.state,
      title: p.title,
      body: p.body,
      head: { ref: p.head, label: `${owner}:${p.head}` },
      base: { ref: p.base },
      merged: p.merged,
    });

    if (r.method === 'POST' && rest === '/pulls') {
      const { title, head, base, body } = fields;
      if (!title || !head || !base)
        return [422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'missing_field' }] }];
      if (this.pulls.some((p) => p.head === head && p.base === base && p.state === 'open')) {
        return [
          422,
          {
            message: 'Validation Failed',
            errors: [
              {
                resource: 'PullRequest',
                code: 'custom',
                message: `A pull request already exists for ${owner}:${head}.`,
              },
            ],
          },
        ];
      }
      const pull: FakePull = {
        number: this.nextNumber++,
        title,
        body: body ?? '',
        head,
        base,
        state: 'open',
        merged: false,
        mergeable: true,
        comments: [],
      };
      this.pulls.push(pull);
      return [201, view(pull)];
    }
    if (r.method === 'GET' && rest === '/pulls') {
      const head = r.query['head'];
      const list = this.pulls
        .filter((p) => (r.query['state'] ?? 'open') === 'all' || p.state === (r.query['state'] ?? 'open'))
        .filter((p) => !head || `${owner}:${p.head}` === head)
        .filter((p) => !r.query['base'] || p.base === r.query['base']);
      return [200, list.map(view)];
    }
    const merge = /^\/pulls\/(\d+)\/merge$/.exec(rest);
    if (merge && r.method === 'PUT') {
      const pull = this.pulls.find((p) => p.number === Number(merge[1]));
      if (!pull) return [404, { message: 'Not Found' }];
      if (pull.merged) return [405, { message: 'Pull Request is not mergeable' }];
      if (!pull.mergeable) return [405, { message: 'Pull Request is not mergeable' }];
      if (fields.merge_method && !['merge', 'squash', 'rebase'].includes(fields.merge_method))
        return [422, { message: 'Validation Failed' }];
      pull.merged = true;
      pull.state = 'closed';
      pull.mergeCommit = createHash('sha1')
        .update(`${pull.number}:${fields.commit_title ?? ''}`)
        .digest('hex');
      return [200, { sha: pull.mergeCommit, merged: true, message: 'Pull Request successfully merged' }];
    }
    const comment = /^\/issues\/(\d+)\/comments$/.exec(rest);
    if (comment && r.method === 'POST') {
      const pull = this.pulls.find((p) => p.number === Number(comment[1]));
      if (!pull) return [404, { message: 'Not Found' }];
      if (!fields.body) return [422, { message: 'Validation Failed' }];
      pull.comments.push(fields.body);
      return [201, { id: pull.comments.length, body: fields.body }];
    }
    return [404, { message: 'Not Found' }];
  }
}
