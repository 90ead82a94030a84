import { GovernanceInit1764000000000 } from './1764000000000-governance-init';
import { Workers1764000200000 } from './1764000200000-workers';
import { BudgetsGoalNotes1764400000000 } from './1764400000000-budgets-goal-notes';
import { AuditLog1764300000000 } from './1764300000000-audit-log';
import { Policies1764300100000 } from './1764300100000-policies';
import { Approvals1764300200000 } from './1764300200000-approvals';
import { MonitorSamples1764300300000 } from './1764300300000-monitor-samples';
import { Goals1764300400000 } from './1764300400000-goals';
import { Alerts1764300500000 } from './1764300500000-alerts';
import { MonitorSampleDetail1764400100000 } from './1764400100000-monitor-sample-detail';
import { SafeDefaultPolicy1764900000000 } from './1764900000000-safe-default-policy';
import { WebhookSources1765100000000 } from './1765100000000-webhook-sources';
import { Conversations1765200000000 } from './1765200000000-conversations';

/** Every migration of the governance schema, in order. */
export const governanceMigrations = [
  GovernanceInit1764000000000,
  Workers1764000200000,
  AuditLog1764300000000,
  Policies1764300100000,
  Approvals1764300200000,
  MonitorSamples1764300300000,
  Goals1764300400000,
  Alerts1764300500000,
  BudgetsGoalNotes1764400000000,
  MonitorSampleDetail1764400100000,
  SafeDefaultPolicy1764900000000,
  WebhookSources1765100000000,
  Conversations1765200000000,
];
