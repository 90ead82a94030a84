export interface PullRequestRef {
  number: number;
  url: string;
}

/** Where pull requests live: GitHub, or the local forge (the pipeline's own records over a bare repository). */
export interface Forge {
  readonly kind: 'local' | 'github';
  openPullRequest(o: { branch: string; targetBranch: string; title: string; body: string }): Promise<PullRequestRef>;
  /** GitHub: squash-merge through the REST API and return the merge commit; absent for the local forge. */
  merge?(o: { number: number; title: string; message: string }): Promise<{ commit: string }>;
  comment(o: { number: number; body: string }): Promise<void>;
}

export { ForgeError } from './forge-error';
export { GitHubForge, type GitHubForgeOptions } from './github-forge';
