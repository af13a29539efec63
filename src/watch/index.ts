export { Posture, objectKey, type ObjectChange, type PostureDelta, type PostureOptions } from './posture.js';
export { ClusterWatch, type ClusterWatchOptions } from './cluster-watch.js';
export {
  buildPolicyReports,
  reportPath,
  MAX_REPORT_RESULTS,
  REPORT_LABEL,
  REPORT_NAME,
} from './policy-report.js';
