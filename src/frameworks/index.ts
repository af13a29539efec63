export {
  DEFAULT_FRAMEWORK_SPECS,
  FRAMEWORKS,
  controlsOfFramework,
  selectFrameworks,
  splitFrameworkSpecs,
  type ControlSet,
  type FrameworkInfo,
  type FrameworkSelection,
} from './frameworks.js';
export { SEVERITY_WEIGHTS, applicableControls, scoreFrameworks } from './scoring.js';
export {
  listControls,
  renderControlsMarkdown,
  renderControlsTable,
  type ControlListing,
} from './catalog-doc.js';
export { parseScanConfig, unknownSettingIds, type ScanConfig } from './config.js';
