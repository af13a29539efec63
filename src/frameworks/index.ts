export {
  DEFAULT_FRAMEWORK_SPECS,
  FRAMEWORKS,
  controlsOfFramework,
  mitreTacticsOf,
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
export {
  MITRE_TACTICS,
  MITRE_TECHNIQUES,
  tacticsOfTechnique,
  type MitreTactic,
  type MitreTechnique,
} from './mitre.js';
