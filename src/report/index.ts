export type {
  FrameworkGroupScore,
  FrameworkScore,
  NetworkIsolationSummary,
  ImagesSummary,
  ReportControl,
  ReportException,
  ReportExceptions,
  ReportTool,
  ScanReport,
  SeverityCounts,
} from './model.js';
export type { BuildReportInput } from './build.js';
export {
  buildReport,
  describeException,
  emptySeverityCounts,
  exitCodeFor,
  normalizeRef,
  sortFindings,
} from './build.js';
export type { OutputSpec, RenderOptions, ReportFormat } from './render.js';
export {
  REPORT_FORMATS,
  isReportFormat,
  parseFormatSpecs,
  parseOutputSpecs,
  renderReport,
  writeReport,
} from './render.js';
export { bufferedWriter, type ReportWriter } from './stream.js';
export { renderJson, toContractObject, writeJsonReport } from './contract.js';
export { renderYaml } from './yaml.js';
export { CSV_COLUMNS, csvField, renderCsv } from './csv.js';
export type { TableOptions } from './table.js';
export { renderTable } from './table.js';
export type { SarifOptions } from './sarif.js';
export {
  PALISADE_INFORMATION_URI,
  SARIF_FINGERPRINT_KEY,
  SARIF_SRCROOT,
  artifactLocation,
  findingFingerprint,
  renderSarif,
  sarifLevel,
  toSarif,
} from './sarif.js';
export { JUNIT_COMPLIANCE_SUITE, JUNIT_INPUT_SUITE, JUNIT_PASS_NAME, renderJunit } from './junit.js';
export { HTML_CLUSTER_SCOPE, renderHtml } from './html.js';
export { escapeHtml, escapeXml } from './text.js';
