import { Inject, Injectable } from '@nestjs/common';
import { redactString } from '@juggernaut/observability';
import { APP_CONFIG } from '@juggernaut/service-kit';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { type ChangeRow, ChangesRepository } from '../changes/changes.repository';
import type { DevBotEnv } from '../config';
import { MeteredModel } from '../llm/metered-model';
import type { ChangeTaskContext } from '../worker/change-task';
import type { Workspace } from '../workspace/workspace';
import { AUTHOR_TOOLS, runAuthorTool } from './author-tools';

export const AUTHOR_SYSTEM_PROMPT = [
  'You are the author of a change to a git repository. You work only through the tools: list_files, read_file, search,',
  'write_file and apply_patch edit files in a fresh clone of the repository; nothing else is reachable.',
  'Make the smallest change that achieves the goal, in the style of the code around it. Keep the tests passing and add',
  'tests for new behaviour; never delete, skip or weaken existing tests, and never touch CI configuration, deployment',
  "manifests or secrets. When the change is complete, call finish with a short summary. After finish, the repository's",
  'checks run; if they fail you get their output and continue.',
].join(' ');

export type AuthorOutcome =
  { finished: true; summary: string; steps: number } | { finished: false; reason: string; steps: number };

/**
 * One round of the author: an LLM tool loop over the workspace until it calls `finish` or runs
 * out of steps. Each model call is metered; each tool call is written to the change's timeline.
 */
@Injectable()
export class Author {
  constructor(
    private readonly model: MeteredModel,
    private readonly changes: ChangesRepository,
    @Inject(APP_CONFIG) private readonly config: DevBotEnv,
  ) {}

  async run(
    ctx: ChangeTaskContext,
    change: ChangeRow,
    ws: Workspace,
    round: number,
    feedback?: string,
  ): Promise<AuthorOutcome> {
    const files = await ws.list('.').catch(() => [] as string[]);
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: AUTHOR_SYSTEM_PROMPT },
      {
        role: 'user',
        content: redactString(
          [
            `Repository: ${change.repository} (target branch ${change.target_branch}).`,
            `Change: ${change.title}`,
            `Goal:\n${change.goal}`,
            `Files (${files.length}):\n${files.slice(0, 300).join('\n')}${files.length > 300 ? '\n…' : ''}`,
            ...(feedback
              ? [
                  `This is attempt ${round}. Your previous attempt is in the workspace, but the checks failed:\n${feedback}\nFix the cause, then call finish again.`,
                ]
              : []),
          ].join('\n\n'),
        ),
      },
    ];
    const maxSteps = this.config.DEVBOT_AUTHOR_MAX_STEPS;
    for (let step = 1; step <= maxSteps; step++) {
      const reply = await this.model.complete(ctx, change, {
        model: this.config.JUGGERNAUT_MODEL,
        messages,
        tools: AUTHOR_TOOLS,
        role: 'author',
      });
      const calls = (reply.message.tool_calls ?? []).filter((c) => c.type === 'function');
      messages.push({
        role: 'assistant',
        content: reply.message.content ?? null,
        ...(calls.length
          ? {
              tool_calls: calls.map((c) => ({
                id: c.id,
                type: 'function' as const,
                function: { name: c.function.name, arguments: c.function.arguments },
              })),
            }
          : {}),
      });
      await this.changes.note(
        change.id,
        'editing',
        calls.length
          ? `author asked for ${calls.map((c) => c.function.name).join(', ')}`
          : 'author answered without a tool call',
        {
          round,
          step,
          call: reply.call,
          costMinor: reply.costMinor,
          usage: reply.usage ?? null,
          retries: reply.retries,
          ...(reply.message.content ? { content: reply.message.content.slice(0, 2_000) } : {}),
        },
      );
      if (calls.length === 0) {
        messages.push({
          role: 'user',
          content: 'Work through the tools, and call finish when the change is complete.',
        });
        continue;
      }
      let finished: string | undefined;
      for (const c of calls) {
        const result =
          finished === undefined
            ? await runAuthorTool(ws, c.function.name, c.function.arguments)
            : { kind: 'result' as const, ok: false, content: 'error: finish was already called' };
        if (result.kind === 'finish') {
          finished = result.summary;
          messages.push({ role: 'tool', tool_call_id: c.id, content: 'ok: the checks run next' });
          continue;
        }
        messages.push({ role: 'tool', tool_call_id: c.id, content: result.content });
        await this.changes.note(
          change.id,
          'editing',
          `${c.function.name}: ${result.ok ? 'ok' : result.content.slice(0, 500)}`,
          {
            round,
            step,
            tool: c.function.name,
            ok: result.ok,
            args: summarizeArgs(c.function.arguments),
          },
        );
      }
      if (finished !== undefined) return { finished: true, summary: finished, steps: step };
    }
    return {
      finished: false,
      reason: `the author did not call finish within ${maxSteps} model calls`,
      steps: maxSteps,
    };
  }
}

/** Tool arguments for the timeline, with file contents and patches shortened. */
function summarizeArgs(raw: string): Record<string, unknown> {
  try {
    const args = JSON.parse(raw) as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(args).map(([k, v]) => [
        k,
        typeof v === 'string' && v.length > 300 ? `${v.slice(0, 300)}… (${v.length} chars)` : v,
      ]),
    );
  } catch {
    return { raw: raw.slice(0, 300) };
  }
}
