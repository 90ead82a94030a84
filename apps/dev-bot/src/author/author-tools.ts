import { redactString } from '@juggernaut/observability';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import type { Workspace } from '../workspace/workspace';

/** The author's tools: all confined to the change's workspace, none with network or shell access. */
export const AUTHOR_TOOLS: ChatCompletionTool[] = [
  tool(
    'list_files',
    'List the files of the repository (or of one directory), as paths relative to its root.',
    {
      path: { type: 'string', description: 'A directory relative to the repository root; default the root.' },
    },
    [],
  ),
  tool('read_file', 'Read a text file of the repository.', { path: { type: 'string' } }, ['path']),
  tool(
    'search',
    'Search the repository for an extended regular expression; answers path, line and text of each match.',
    {
      pattern: { type: 'string' },
      path: { type: 'string', description: 'Limit the search to this directory or file.' },
    },
    ['pattern'],
  ),
  tool(
    'write_file',
    'Create or replace a file with the given content.',
    { path: { type: 'string' }, content: { type: 'string' } },
    ['path', 'content'],
  ),
  tool(
    'apply_patch',
    'Apply a unified diff (as produced by git diff) to the repository.',
    { patch: { type: 'string' } },
    ['patch'],
  ),
  tool(
    'finish',
    'Call when the change is complete: the checks run next. Give a short summary of what you changed and why.',
    {
      summary: { type: 'string' },
    },
    ['summary'],
  ),
];

export type AuthorToolResult = { kind: 'result'; content: string; ok: boolean } | { kind: 'finish'; summary: string };

const MAX_RESULT_CHARS = 24_000;

/**
 * Runs one tool call of the author against the workspace. Bad arguments and refused paths come
 * back as an error result the model can act on; the output is redacted before the model sees it.
 */
export async function runAuthorTool(ws: Workspace, name: string, rawArgs: string): Promise<AuthorToolResult> {
  let args: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(rawArgs || '{}');
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    args = parsed as Record<string, unknown>;
  } catch (e) {
    return error(
      `the arguments are not a JSON object (${(e as Error).message.slice(0, 200)}); call ${name} again with valid JSON`,
    );
  }
  const spec = AUTHOR_TOOLS.find((t) => t.type === 'function' && t.function.name === name);
  if (!spec || spec.type !== 'function')
    return error(
      `there is no tool named "${name}"; the tools are ${AUTHOR_TOOLS.map((t) => (t.type === 'function' ? t.function.name : '')).join(', ')}`,
    );
  const params = spec.function.parameters as { properties: Record<string, unknown>; required: string[] };
  for (const key of Object.keys(args))
    if (!(key in params.properties)) return error(`unknown argument "${key}" for ${name}`);
  for (const key of params.required)
    if (typeof args[key] !== 'string') return error(`${name} needs "${key}" as a string`);
  for (const key of Object.keys(args)) if (typeof args[key] !== 'string') return error(`"${key}" must be a string`);
  const s = (k: string) => args[k] as string | undefined;
  try {
    switch (name) {
      case 'list_files':
        return ok((await ws.list(s('path') || '.')).join('\n') || '(no files)');
      case 'read_file':
        return ok(await ws.read(s('path')!));
      case 'search': {
        const hits = await ws.search(s('pattern')!, { ...(s('path') ? { path: s('path')! } : {}), maxResults: 200 });
        return ok(hits.length ? hits.map((h) => `${h.path}:${h.line}: ${h.text}`).join('\n') : 'no matches');
      }
      case 'write_file':
        await ws.write(s('path')!, s('content')!);
        return ok(`wrote ${s('path')} (${Buffer.byteLength(s('content')!)} bytes)`);
      case 'apply_patch': {
        const { files } = await ws.applyPatch(s('patch')!);
        return ok(`patch applied to ${files.join(', ')}`);
      }
      case 'finish':
        return { kind: 'finish', summary: s('summary')! };
      default:
        return error(`there is no tool named "${name}"`);
    }
  } catch (e) {
    return error((e as Error).message);
  }
}

function ok(content: string): AuthorToolResult {
  const text = redactString(content);
  return {
    kind: 'result',
    ok: true,
    content: text.length > MAX_RESULT_CHARS ? `${text.slice(0, MAX_RESULT_CHARS)}\n[truncated]` : text,
  };
}

function error(message: string): AuthorToolResult {
  return { kind: 'result', ok: false, content: `error: ${redactString(message).slice(0, 2_000)}` };
}

function tool(
  name: string,
  description: string,
  properties: Record<string, unknown>,
  required: string[],
): ChatCompletionTool {
  return {
    type: 'function',
    function: { name, description, parameters: { type: 'object', properties, required, additionalProperties: false } },
  };
}
