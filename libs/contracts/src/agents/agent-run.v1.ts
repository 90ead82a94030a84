/**
 * Why an agent run ended. Every run ends with exactly one of these, in its last execution log
 * line, its task result or failure reason, and `juggernaut_agent_runs_total{stop_reason}`.
 */
export const AGENT_STOP_REASONS = [
  'completed',
  'max_steps',
  'budget',
  'loop_detected',
  'timeout',
  'denied',
  'cancelled',
] as const;
export type AgentStopReason = (typeof AGENT_STOP_REASONS)[number];

/** `outputData` of an agent step's execution log line (action `agent.model`, `agent.tool`, `agent.stop`). */
export interface AgentStepLogData {
  model?: string;
  /** Tokens as the provider reported them (named so that log redaction, which hides "*token*" fields, leaves them alone). */
  usage?: { prompt: number; completion: number };
  costMinor?: number;
  currency?: string;
  tool?: string;
  outcome?: 'ok' | 'error' | 'denied' | 'approval' | 'refused';
  stopReason?: AgentStopReason;
  [key: string]: unknown;
}
