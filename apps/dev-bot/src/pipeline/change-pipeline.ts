import { Inject, Injectable } from '@nestjs/common';
import {
  type ChangeEventV1,
  type ChangeStatus,
  type CheckResultV1,
  FINAL_CHANGE_STATUSES,
  type GateFindingV1,
  type RepositoryV1,
  type StreamSubject,
  Subjects,
} from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { enqueueEvent, type Queryable } from '@juggernaut/persistence';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Author } from '../author/author';
import { BRANCH_PREFIX } from '../changes/branch-name';
import { type ChangeData, type ChangeRow, ChangesRepository } from '../changes/changes.repository';
import { ChangesService } from '../changes/changes.service';
import { RepositoriesRepository } from '../repositories/repositories.repository';
import { CheckSandboxError, type CheckResult, type CheckRunOptions, runChecks } from '../checks/check-runner';
import type { DevBotEnv } from '../config';
import { ForgeError, GitHubForge } from '../forge/forge';
import { DEFAULT_GATE_POLICY, evaluateGates, type GatePolicy } from '../gates/gates';
import { cloneInto, freshDir, git, remoteFor, removeDir } from '../git/git';
import { checkoutCommit, MergeError, revertCommit, squashMerge } from '../git/merge';
import { BudgetRefusedError } from '../llm/metered-model';
import { Reviewer } from '../review/reviewer';
import { type ChangeTaskContext, type ChangeTaskOutcome, TerminalChangeError } from '../worker/change-task';
import { type ChangeDiff, Workspace, type WorkspaceOptions } from '../workspace/workspace';

type Closing = Extract<ChangeStatus, 'rejected' | 'failed' | 'reverted' | 'cancelled'>;

/**
 * A change from request to merge: the author edits until the checks pass (or the attempts run out),
 * the branch is pushed, the gates and the read-only reviewer must all say yes, the pull request is
 * opened, a human approves where a gate asks for it, the branch is squash-merged (one merge per
 * repository at a time) and the checks run again on the merge commit, which is reverted when they
 * fail. Every stage is persisted before the next begins, so a change resumes after a crash from
 * where it was.
 */
@Injectable()
export class ChangePipeline {
  constructor(
    private readonly changes: ChangesRepository,
    private readonly service: ChangesService,
    private readonly repositories: RepositoriesRepository,
    private readonly author: Author,
    private readonly reviewer: Reviewer,
    private readonly bus: Bus,
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: DevBotEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(ctx: ChangeTaskContext): Promise<ChangeTaskOutcome> {
    const change = await this.load(ctx);
    if (FINAL_CHANGE_STATUSES.includes(change.status)) return finished(change);
    try {
      const repo = await this.repositories.get(change.repository);
      return await this.proceed(ctx, change, repo);
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      if (e instanceof BudgetRefusedError) {
        // Over budget: the change pauses with its work kept, and goes on when governance releases the task (a raised cap, a new day).
        await this.changes.note(
          change.id,
          (await this.changes.find(change.id))?.status ?? change.status,
          `waiting for budget: ${e.message}`,
        );
        return { kind: 'blocked', blockedOn: 'budget', reason: `budget: ${e.message}` };
      }
      const refusedByGitHub =
        e instanceof ForgeError && typeof e.status === 'number' && e.status >= 400 && e.status < 500;
      const terminal = e instanceof MergeError || refusedByGitHub || (e as { terminal?: unknown })?.terminal === true;
      if (terminal || ctx.task.attempt >= ctx.task.maxAttempts) {
        const why = (e as Error)?.message ?? String(e);
        await this.close(change.id, 'failed', why);
        return finished((await this.changes.find(change.id))!);
      }
      await this.changes.note(
        change.id,
        change.status,
        `attempt ${ctx.task.attempt} stopped; the change resumes from here: ${(e as Error)?.message ?? e}`,
      );
      throw e;
    }
  }

  /** The change the task carries: named by the payload, or filed from an agent's payload (one per task). */
  private async load(ctx: ChangeTaskContext): Promise<ChangeRow> {
    const id = ctx.task.payload['changeId'];
    if (typeof id === 'string') {
      const row = await this.changes.find(id);
      if (!row) throw new TerminalChangeError(`change ${id} does not exist`);
      if (!row.task_id) await this.changes.setTask(row.id, ctx.task.id);
      return row;
    }
    try {
      return await this.service.forTask(ctx.task.id, ctx.task.payload);
    } catch (e) {
      throw new TerminalChangeError(`the dev.change task does not describe a change: ${(e as Error).message}`);
    }
  }

  private async proceed(ctx: ChangeTaskContext, change: ChangeRow, repo: RepositoryV1): Promise<ChangeTaskOutcome> {
    if (change.status === 'awaiting_approval') return this.afterApproval(ctx, change, repo);
    if (change.status === 'merging' || change.status === 'verifying') return this.merge(ctx, change, repo, true);
    const options = this.workspaceOptions(change, repo);
    const ws = change.data.pushed ? await Workspace.resume(options) : await Workspace.create(options);
    let gates: { findings: GateFindingV1[]; refused: boolean; needsApproval: boolean };
    let diff: ChangeDiff;
    try {
      let checks: CheckResultV1[];
      if (change.data.pushed) {
        diff = await ws.diff();
        checks = change.data.checks ?? [];
      } else {
        const edited = await this.editUntilGreen(ctx, change, repo, ws);
        if (edited.kind === 'failed') {
          await this.close(change.id, 'failed', edited.reason);
          return finished((await this.changes.find(change.id))!);
        }
        ({ diff, checks } = edited);
      }

      // The gates come before the push: a refused diff (a secret, a denied path) never leaves this machine.
      gates = evaluateGates(diff, this.policyOf(repo));
      await this.changes.advance(
        change.id,
        'reviewing',
        gates.findings.length
          ? `gates: ${gates.findings.map((f) => `${f.gate} ${f.verdict}`).join(', ')}`
          : 'gates: nothing found',
        { data: { gateFindings: gates.findings, diff: summaryOf(diff) }, stepData: { findings: gates.findings } },
      );
      if (gates.refused) {
        const why = gates.findings
          .filter((f) => f.verdict === 'refuse')
          .map((f) => f.message)
          .join('; ');
        await this.close(change.id, 'rejected', `refused by the gates: ${why}`);
        return finished((await this.changes.find(change.id))!);
      }
      if (!change.data.pushed) {
        ctx.signal.throwIfAborted();
        await ws.push();
        await this.changes.note(change.id, 'reviewing', `pushed ${change.branch}`, undefined, { pushed: true });
      }

      ctx.signal.throwIfAborted();
      const review = await this.reviewer.review(ctx, change, { patch: diff.patch, checks, findings: gates.findings });
      await this.changes.note(
        change.id,
        'reviewing',
        `reviewer ${review.approve ? 'approves' : 'says no'}: ${review.reasons.join('; ') || '(no reasons)'}`,
        { review },
        { review },
      );
      if (!review.approve) {
        await this.close(change.id, 'rejected', `the reviewer said no: ${review.reasons.join('; ')}`);
        return finished((await this.changes.find(change.id))!);
      }
    } finally {
      await ws
        .dispose()
        .catch((e: unknown) => this.logger.warn({ err: e, changeId: change.id }, 'could not remove a workspace'));
    }

    const pr = await this.openPullRequest(change, repo, diff);
    if (gates.needsApproval) return this.requestApproval(ctx, change, diff, gates.findings, pr.url);
    await this.changes.advance(change.id, 'merging', 'every gate passed and the reviewer approves: merging');
    return this.merge(ctx, (await this.changes.find(change.id))!, repo);
  }

  /** Author rounds: edit, commit, run the checks; a failure goes back to the author with the output. */
  private async editUntilGreen(
    ctx: ChangeTaskContext,
    change: ChangeRow,
    repo: RepositoryV1,
    ws: Workspace,
  ): Promise<{ kind: 'green'; diff: ChangeDiff; checks: CheckResultV1[] } | { kind: 'failed'; reason: string }> {
    const before = change.data.checks?.find((c) => !c.ok);
    let feedback = before ? feedbackOf(before) : undefined;
    let lastFailure = before ? failureOf([before]) : 'no round finished';
    // A round counts once the author has finished it; one interrupted (a crash, the kill switch, the budget) is made again.
    for (let made = change.attempts; made < change.max_attempts;) {
      const round = made + 1;
      await this.changes.advance(change.id, 'editing', `author round ${round} of ${change.max_attempts}`);
      const out = await this.author.run(ctx, change, ws, round, feedback);
      if (!out.finished) return { kind: 'failed', reason: out.reason };
      const diff = await ws.diff();
      made = round;
      if (diff.files.length === 0) {
        lastFailure = 'the author finished without changing any file';
        feedback = `${lastFailure}. Make the change the goal asks for, then call finish.`;
        await this.changes.advance(change.id, 'editing', lastFailure, { attempts: round });
        continue;
      }
      await ws.commitAll(`${change.title}\n\nChange ${change.id}, round ${round}: ${out.summary}`.slice(0, 5_000));
      await this.changes.advance(
        change.id,
        'checking',
        `author finished round ${round}: ${out.summary}`.slice(0, 2_000),
        {
          attempts: round,
          data: { diff: summaryOf(diff), summary: out.summary },
        },
      );
      let run;
      try {
        run = await runChecks(ws.dir, repo.checks, this.checkOptions(ctx.signal));
      } catch (e) {
        // No sandbox, no checks: the repository's commands are untrusted and never run on the host.
        if (e instanceof CheckSandboxError) return { kind: 'failed', reason: e.message };
        throw e;
      }
      const checks = run.results.map(checkView);
      await this.changes.note(
        change.id,
        'checking',
        run.ok ? `checks passed (${checks.length})` : `checks failed: ${failureOf(run.results)}`,
        {
          network: run.network,
          sandbox: run.sandbox,
          results: checks.map((c) => ({ name: c.name, ok: c.ok, exitCode: c.exitCode, timedOut: c.timedOut })),
        },
        { checks },
      );
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
      if (run.ok) return { kind: 'green', diff, checks };
      lastFailure = failureOf(run.results);
      feedback = feedbackOf(run.results.find((r) => !r.ok)!);
    }
    return {
      kind: 'failed',
      reason: `the checks still failed after ${change.max_attempts} attempt(s): ${lastFailure}`,
    };
  }

  /** How the repository's checks run: the sandbox's binary and limits from the environment. */
  private checkOptions(signal: AbortSignal): CheckRunOptions {
    const c = this.config;
    return {
      timeoutMs: c.DEVBOT_CHECK_TIMEOUT_MS,
      outputLimitBytes: c.DEVBOT_CHECK_OUTPUT_BYTES,
      signal,
      ...(c.DEVBOT_CHECK_BWRAP ? { bwrapPath: c.DEVBOT_CHECK_BWRAP } : {}),
      limits: {
        memoryBytes: c.DEVBOT_CHECK_MEMORY_MB * 1024 * 1024,
        processes: c.DEVBOT_CHECK_MAX_PROCESSES,
        cpuSeconds: c.DEVBOT_CHECK_CPU_SECONDS,
        cpus: c.DEVBOT_CHECK_CPUS,
      },
    };
  }

  private async openPullRequest(change: ChangeRow, repo: RepositoryV1, diff: ChangeDiff): Promise<{ url: string }> {
    const existing = (await this.changes.view(change.id))?.pullRequest;
    if (existing) return existing;
    const body = `${change.goal}\n\n${change.data.summary ?? ''}\n\nChange ${change.id} by Juggernaut dev-bot.`.trim();
    const forge = this.forgeOf(repo);
    const pr = forge
      ? await forge
          .openPullRequest({ branch: change.branch, targetBranch: change.target_branch, title: change.title, body })
          .then((ref: { number: number; url: string }) =>
            this.changes.recordPullRequest({
              changeId: change.id,
              forge: 'github',
              externalNumber: ref.number,
              url: ref.url,
              branch: change.branch,
              targetBranch: change.target_branch,
              title: change.title,
              body,
            }),
          )
      : await this.changes.recordPullRequest({
          changeId: change.id,
          forge: 'local',
          branch: change.branch,
          targetBranch: change.target_branch,
          title: change.title,
          body,
          diff: diff.patch,
        });
    await this.changes.note(
      change.id,
      'reviewing',
      `pull request #${pr.number} opened (${pr.forge})`,
      { url: pr.url },
      undefined,
      (m) => this.event(m, Subjects.changeOpened, change, { pullRequestUrl: pr.url }),
    );
    return pr;
  }

  /** A protected path: a human approval bound to the exact diff; the task waits blocked until it is decided. */
  private async requestApproval(
    ctx: ChangeTaskContext,
    change: ChangeRow,
    diff: ChangeDiff,
    findings: GateFindingV1[],
    url: string,
  ): Promise<ChangeTaskOutcome> {
    const why = findings
      .filter((f) => f.verdict === 'needs-approval')
      .map((f) => f.message)
      .join('; ');
    const approval = await this.bus.request(Subjects.approvalRequest, {
      taskId: ctx.task.id,
      workerId: ctx.workerId,
      action: 'merge:change',
      argsHash: `sha256:${sha256(diff.patch)}`,
      args: {
        changeId: change.id,
        repository: change.repository,
        targetBranch: change.target_branch,
        branch: change.branch,
        pullRequest: url,
        files: diff.files.map((f) => f.path),
      },
      reason: `merge of change "${change.title}" needs approval: ${why}`.slice(0, 10_000),
    });
    await this.changes.advance(change.id, 'awaiting_approval', `waiting for approval ${approval.id}: ${why}`, {
      approvalId: approval.id,
    });
    if (approval.status === 'pending')
      return {
        kind: 'blocked',
        blockedOn: 'approval',
        approvalId: approval.id,
        reason: `change ${change.id} waits for approval ${approval.id} to merge`,
      };
    return this.afterApproval(
      ctx,
      (await this.changes.find(change.id))!,
      await this.repositories.get(change.repository),
    );
  }

  private async afterApproval(
    ctx: ChangeTaskContext,
    change: ChangeRow,
    repo: RepositoryV1,
  ): Promise<ChangeTaskOutcome> {
    const approval = await this.bus.request(Subjects.approvalGet, { id: change.approval_id! });
    if (approval.status === 'pending')
      return {
        kind: 'blocked',
        blockedOn: 'approval',
        approvalId: approval.id,
        reason: `change ${change.id} waits for approval ${approval.id} to merge`,
      };
    if (approval.status !== 'approved') {
      await this.close(
        change.id,
        'rejected',
        `approval ${approval.id} was ${approval.status}${approval.decisionReason ? `: ${approval.decisionReason}` : ''}`,
      );
      return finished((await this.changes.find(change.id))!);
    }
    // The approval is for one exact diff: if the branch no longer has it, nothing is merged.
    const ws = await Workspace.resume(this.workspaceOptions(change, repo));
    let approvedDiff: boolean;
    try {
      approvedDiff = `sha256:${sha256((await ws.diff()).patch)}` === approval.argsHash;
    } finally {
      await ws.dispose().catch(() => undefined);
    }
    if (!approvedDiff) {
      await this.close(
        change.id,
        'rejected',
        `the branch ${change.branch} changed after approval ${approval.id} was asked for; the approved diff is not what would be merged`,
      );
      return finished((await this.changes.find(change.id))!);
    }
    await this.changes.advance(change.id, 'merging', `approved by ${approval.decidedBy ?? 'an approver'}: merging`);
    return this.merge(ctx, (await this.changes.find(change.id))!, repo);
  }

  /** Squash-merges, one merge per repository at a time, then verifies the merge commit and reverts it on failure. */
  private async merge(
    ctx: ChangeTaskContext,
    change: ChangeRow,
    repo: RepositoryV1,
    resumed = false,
  ): Promise<ChangeTaskOutcome> {
    ctx.signal.throwIfAborted();
    const lock = this.db.createQueryRunner();
    await lock.connect();
    try {
      // Merges to one repository are serialised across replicas: the verify-and-revert below must see only this merge.
      await lock.query(`SELECT pg_advisory_lock(hashtext($1))`, [`devbot:merge:${repo.name}`]);
      // A worker that died between pushing the merge and recording it left the commit on the target: find it, never merge twice.
      const commit =
        change.merge_commit ??
        (resumed ? await this.findMerged(change, repo) : null) ??
        (await this.squash(change, repo));
      const checkout = await checkoutCommit({
        root: this.config.DEVBOT_WORKSPACE_ROOT,
        cloneUrl: this.cloneUrlOf(repo),
        commit,
      });
      let run;
      try {
        run = await runChecks(checkout.dir, repo.checks, this.checkOptions(ctx.signal));
      } finally {
        await checkout.dispose().catch(() => undefined);
      }
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
      const postMergeChecks = run.results.map(checkView);
      if (run.ok) {
        await this.changes.advance(change.id, 'merged', `post-merge checks passed on ${commit}`, {
          data: { postMergeChecks },
        });
        return finished((await this.changes.find(change.id))!);
      }
      const failure = failureOf(run.results);
      const merged = commit;
      const revert = await revertCommit({
        root: this.config.DEVBOT_WORKSPACE_ROOT,
        cloneUrl: this.cloneUrlOf(repo),
        targetBranch: change.target_branch,
        commit: merged,
        author: this.gitAuthor,
        message:
          `Revert "${change.title}"\n\nPost-merge checks failed on ${merged}: ${failure}\n\nChange ${change.id} by Juggernaut dev-bot.`.slice(
            0,
            10_000,
          ),
      });
      const reason = `post-merge checks failed on ${merged}: ${failure}; reverted by ${revert.commit}`;
      await this.changes.advance(
        change.id,
        'reverted',
        reason,
        { data: { postMergeChecks }, reason, revertCommit: revert.commit },
        async (m) => {
          await this.changes.recordRevert(m, change.id, revert.commit);
          await this.event(m, Subjects.changeClosed, change, {
            commit: merged,
            revertCommit: revert.commit,
            status: 'reverted',
            reason,
          });
        },
      );
      return finished((await this.changes.find(change.id))!);
    } finally {
      await lock.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`devbot:merge:${repo.name}`]).catch(() => undefined);
      await lock.release();
    }
  }

  /** The merge commit of this change already on the target branch (its message names the change), recorded as the merge. */
  private async findMerged(change: ChangeRow, repo: RepositoryV1): Promise<string | null> {
    const dir = await freshDir(this.config.DEVBOT_WORKSPACE_ROOT, 'find-merge');
    let commit: string;
    try {
      await cloneInto(dir, remoteFor(this.cloneUrlOf(repo)), this.gitAuthor);
      commit = (
        await git(dir, [
          'log',
          `origin/${change.target_branch}`,
          '--fixed-strings',
          `--grep=Change ${change.id} (`,
          '--format=%H',
          '-n',
          '1',
        ])
      ).stdout.trim();
    } finally {
      await removeDir(dir);
    }
    if (!commit) return null;
    await this.changes.advance(
      change.id,
      'verifying',
      `found the merge ${commit} already on ${change.target_branch}`,
      { mergeCommit: commit },
      async (m) => {
        await this.changes.recordMerge(m, change.id, repo.name, change.target_branch, commit);
        await this.event(m, Subjects.changeMerged, change, { commit, status: 'merged' });
      },
    );
    return commit;
  }

  /** Squash-merges the branch (through the forge on GitHub), records the merge and announces it. */
  private async squash(change: ChangeRow, repo: RepositoryV1): Promise<string> {
    const message =
      `${change.title}\n\n${change.goal}\n\nChange ${change.id} (${change.branch}) by Juggernaut dev-bot.`.slice(
        0,
        10_000,
      );
    const forge = this.forgeOf(repo);
    const pr = forge ? (await this.changes.view(change.id))?.pullRequest : undefined;
    const { commit } =
      forge?.merge && pr
        ? await forge.merge({ number: pr.number, title: change.title, message })
        : await squashMerge({
            root: this.config.DEVBOT_WORKSPACE_ROOT,
            cloneUrl: this.cloneUrlOf(repo),
            targetBranch: change.target_branch,
            branch: change.branch,
            message,
            author: this.gitAuthor,
          });
    await this.changes.advance(
      change.id,
      'verifying',
      `squash-merged into ${change.target_branch} as ${commit}`,
      { mergeCommit: commit },
      async (m) => {
        await this.changes.recordMerge(m, change.id, repo.name, change.target_branch, commit);
        await this.event(m, Subjects.changeMerged, change, { commit, status: 'merged' });
      },
    );
    return commit;
  }

  /** Ends a change rejected, failed, reverted or cancelled, with the reason, and announces it. */
  async close(id: string, status: Closing, reason: string, data?: ChangeData): Promise<boolean> {
    const change = await this.changes.find(id);
    if (!change) return false;
    return this.changes.advance(id, status, reason, { reason, ...(data ? { data } : {}) }, (m) =>
      this.event(m, Subjects.changeClosed, change, { status, reason: reason.slice(0, 10_000) }),
    );
  }

  private async event(
    m: Queryable,
    subject: Extract<StreamSubject, `juggernaut.change.${string}`>,
    change: ChangeRow,
    extra: Partial<ChangeEventV1>,
  ): Promise<void> {
    await enqueueEvent(m, 'devbot', subject, {
      changeId: change.id,
      repository: change.repository,
      branch: change.branch,
      targetBranch: change.target_branch,
      at: new Date().toISOString(),
      ...extra,
    });
  }

  private policyOf(repo: RepositoryV1): GatePolicy {
    const o = repo.gatePolicy;
    return {
      maxChangedLines: o.maxChangedLines ?? DEFAULT_GATE_POLICY.maxChangedLines,
      maxFiles: o.maxFiles ?? DEFAULT_GATE_POLICY.maxFiles,
      protectedPaths: o.protectedPaths ?? DEFAULT_GATE_POLICY.protectedPaths,
      deniedPaths: o.deniedPaths ?? DEFAULT_GATE_POLICY.deniedPaths,
      mergeRequiresApproval: o.mergeRequiresApproval ?? DEFAULT_GATE_POLICY.mergeRequiresApproval,
    };
  }

  private forgeOf(repo: RepositoryV1): GitHubForge | undefined {
    if (repo.forge.kind !== 'github') return undefined;
    if (!this.config.DEVBOT_GITHUB_TOKEN)
      throw new TerminalChangeError(`repository ${repo.name} uses the github forge but DEVBOT_GITHUB_TOKEN is not set`);
    return new GitHubForge({
      token: this.config.DEVBOT_GITHUB_TOKEN,
      repository: repo.forge.repository!,
      ...(this.config.DEVBOT_GITHUB_API_URL ? { apiUrl: this.config.DEVBOT_GITHUB_API_URL } : {}),
    });
  }

  /**
   * Where git clones and pushes. On the github forge an https clone URL gets the token, which git
   * sends only in an Authorization header (never written into the clone, where checks could read it).
   */
  private cloneUrlOf(repo: RepositoryV1): string {
    if (repo.forge.kind !== 'github' || !/^https:\/\//.test(repo.cloneUrl)) return repo.cloneUrl;
    if (!this.config.DEVBOT_GITHUB_TOKEN)
      throw new TerminalChangeError(`repository ${repo.name} uses the github forge but DEVBOT_GITHUB_TOKEN is not set`);
    return GitHubForge.cloneUrl(repo.forge.repository!, this.config.DEVBOT_GITHUB_TOKEN, new URL(repo.cloneUrl).host);
  }

  private workspaceOptions(change: ChangeRow, repo: RepositoryV1): WorkspaceOptions {
    return {
      root: this.config.DEVBOT_WORKSPACE_ROOT,
      cloneUrl: this.cloneUrlOf(repo),
      targetBranch: change.target_branch,
      branch: change.branch,
      author: this.gitAuthor,
      branchPrefix: BRANCH_PREFIX,
    };
  }

  private get gitAuthor(): { name: string; email: string } {
    return { name: this.config.DEVBOT_GIT_AUTHOR_NAME, email: this.config.DEVBOT_GIT_AUTHOR_EMAIL };
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function finished(change: ChangeRow): ChangeTaskOutcome {
  return {
    kind: 'finished',
    result: {
      changeId: change.id,
      status: change.status,
      ...(change.reason ? { reason: change.reason } : {}),
      ...(change.merge_commit ? { mergeCommit: change.merge_commit } : {}),
    },
  };
}

function summaryOf(diff: ChangeDiff): ChangeData['diff'] {
  return { files: diff.files.map((f) => ({ ...f })), added: diff.added, removed: diff.removed };
}

function checkView(r: CheckResult): CheckResultV1 {
  return {
    name: r.name,
    command: r.command,
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    durationMs: r.durationMs,
    output: r.output,
    ok: r.ok,
  };
}

/** What the author is told about a failed check: which, how, and the end of its output. */
function feedbackOf(f: CheckResult | CheckResultV1): string {
  return `Check "${f.name}" (\`${f.command}\`) ${f.timedOut ? 'timed out' : `exited with ${f.exitCode}`}. The end of its output:\n${f.output}`;
}

function failureOf(results: Array<CheckResult | CheckResultV1>): string {
  const f = results.find((r) => !r.ok);
  return f ? `${f.name} (${f.command}) ${f.timedOut ? 'timed out' : `exited with ${f.exitCode}`}` : 'no check failed';
}
