import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import { controlsDocText } from './controls.js';

export { CONTROLS_DOC } from './controls.js';

/** docs/controls.md as committed: the generated Markdown, formatted with the repository's Prettier settings. */
export async function formattedControlsDoc(root: string): Promise<string> {
  const file = path.join(root, 'docs/controls.md');
  const options = (await resolveConfig(file)) ?? {};
  return format(controlsDocText(), { ...options, filepath: file });
}
