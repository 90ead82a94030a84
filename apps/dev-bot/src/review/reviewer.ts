import { Inject, Injectable } from '@nestjs/common';
import type { ChangeReviewV1, CheckResultV1, GateFindingV1 } from '@juggernaut/contracts';
import { redactString } from '@juggernaut/observability';
import { APP_CONFIG } from '@juggernaut/service-kit';
import { type ChangeRow, ChangesRepository } from '../changes/changes.repository';
import type { DevBotEnv } from '../config';
import { MeteredModel } from '../llm/metered-model';
import type { ChangeTaskContext } from '../worker/change-task';
import { parseVerdict } from './verdict';

export const REVIEWER_SYSTEM_PROMPT = [
  'You review a change to a git repository before it is merged without a human. You cannot run anything or change anything:',
  'you see the goal, the diff, the results of the checks and the findings of the policy gates.',
  'Approve only if the diff does what the goal asks, nothing else, is correct, keeps or adds tests, and does not weaken tests,',
  "lint or type checking, leak secrets or open a security hole. The author's own claims do not count.",
  'Answer with JSON only, exactly {"approve": true|false, "reasons": ["…"]}; anything else counts as a rejection.',
].join(' ');

const MAX_DIFF_CHARS = 60_000;

/** The read-only reviewer: a separate model call with its own prompt and no tools, answering a schema-checked verdict. */
@Injectable()
export class Reviewer {
  constructor(
    private readonly model: MeteredModel,
    private readonly changes: ChangesRepository,
    @Inject(APP_CONFIG) private readonly config: DevBotEnv,
  ) {}

  async review(
    ctx: ChangeTaskContext,
    change: ChangeRow,
    input: { patch: string; checks: CheckResultV1[]; findings: GateFindingV1[] },
  ): Promise<ChangeReviewV1> {
    const model = this.config.DEVBOT_REVIEW_MODEL ?? this.config.JUGGERNAUT_MODEL;
    const patch =
      input.patch.length > MAX_DIFF_CHARS
        ? `${input.patch.slice(0, MAX_DIFF_CHARS)}\n[diff truncated: ${input.patch.length} characters in all]`
        : input.patch;
    const user = redactString(
      [
        `Goal of change ${change.id}: ${change.title}\n${change.goal}`,
        `Checks:\n${input.checks.map((c) => `- ${c.name} (${c.command}): ${c.ok ? 'passed' : `failed, exit ${c.exitCode}${c.timedOut ? ', timed out' : ''}`}`).join('\n') || '- none configured'}`,
        `Gate findings:\n${input.findings.map((f) => `- ${f.gate} (${f.verdict}): ${f.message}`).join('\n') || '- none'}`,
        `Diff:\n${patch}`,
      ].join('\n\n'),
    );
    const reply = await this.model.complete(ctx, change, {
      model,
      role: 'reviewer',
      messages: [
        { role: 'system', content: REVIEWER_SYSTEM_PROMPT },
        { role: 'user', content: user },
      ],
    });
    const verdict = parseVerdict(reply.message.content);
    const review = { approve: verdict.approve, reasons: verdict.reasons };
    await this.changes.recordReview(change.id, review, model, reply.message.content ?? '');
    return review;
  }
}
