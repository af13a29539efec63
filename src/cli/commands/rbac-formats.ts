import type { OutputFormats } from '../output.js';

/** `rbac who-can`, `can-i`, `list`, `sod` and `diff`: a table for people, JSON and YAML for tools. */
export const TABLE_FORMATS: OutputFormats<'table' | 'json' | 'yaml'> = {
  formats: ['table', 'json', 'yaml'],
  default: 'table',
  aliases: { text: 'table' },
};

/** `rbac paths`: also a Graphviz graph and a standalone HTML page. */
export const PATHS_FORMATS: OutputFormats<'table' | 'json' | 'yaml' | 'dot' | 'html'> = {
  formats: ['table', 'json', 'yaml', 'dot', 'html'],
  default: 'table',
  aliases: { text: 'table' },
};

/** `rbac suggest`: the suggested objects as YAML manifests (default), the analysis as JSON, or a diff view. */
export const SUGGEST_FORMATS: OutputFormats<'yaml' | 'json' | 'diff' | 'table'> = {
  formats: ['yaml', 'json', 'diff', 'table'],
  default: 'yaml',
  aliases: { text: 'diff' },
};
