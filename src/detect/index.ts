/**
 * Runtime threat detection: audit events, network flows and container runtime events
 * normalised to one event shape, judged by CEL rules and threat feeds, raised as alerts in the
 * formats SIEMs read. See docs/detect.md.
 */
export * from './event.js';
export {
  normalizeAuditRecord,
  normalizeAuditEvent,
  isPublicIP,
  actorKind,
  redactObject,
} from './normalize-audit.js';
export { normalizeRecord } from './normalize-runtime.js';
export {
  compileRule,
  compileRules,
  ruleSchema,
  SEVERITIES,
  type CompiledRule,
  type RuleError,
  type RuleSpec,
  type RuleTest,
  type Severity,
} from './rule.js';
export {
  createDetector,
  EMPTY_SETTINGS,
  renderMessage,
  type Alert,
  type DetectSettings,
  type Detector,
  type DetectorOptions,
  type DetectorStats,
} from './detector.js';
export {
  IntelIndex,
  parseFeed,
  inferIndicatorType,
  normalizeIndicator,
  type Indicator,
  type FeedIssue,
} from './intel.js';
export { builtinRules, readRuleText } from './load.js';
export { runRuleTests, ruleFires, type RuleTestResult } from './suite.js';
export {
  ALERT_FORMATS,
  alertCef,
  alertEcs,
  alertJson,
  alertMetrics,
  alertSlack,
  alertSyslog,
  alertTableRow,
  atLeast,
  type AlertFormat,
} from './sinks.js';
export {
  AnomalyModel,
  identityOf,
  parseBaseline,
  type AnomalyOptions,
  type AnomalyReason,
  type AnomalyScore,
  type BaselineFile,
  type IdentityBaseline,
} from './anomaly.js';
export {
  FlowPolicyMonitor,
  formatLeastPrivilegeTable,
  denialReason,
  DENIED_FLOW_ATTEMPTED,
  DENIED_FLOW_OBSERVED,
  SUPERSEDED_FLOW_RULE,
  type FlowDecision,
  type FlowJudgement,
  type FlowPolicyOptions,
  type FlowPolicyStats,
  type LeastPrivilegeReport,
  type ObservedOutcome,
  type UnusedPair,
} from './flow-policy.js';
