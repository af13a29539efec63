export { parseManifests, type ParsedManifests } from './manifests.js';
export { loadFiles, decodeUtf8, type LoadFilesOptions, type LoadFilesResult } from './files.js';
export { MAX_ALIAS_EXPANSION } from './yaml-documents.js';
