import { UsageError } from '../../core/index.js';
import {
  listControls,
  renderControlsMarkdown,
  renderControlsTable,
  selectFrameworks,
} from '../../frameworks/index.js';
import type { CliIO } from '../io.js';

/** Options of `palisade controls list`. */
export interface ControlsListOptions {
  framework: string[];
  output: 'table' | 'json' | 'md';
}

/** Prints the catalogue (or the controls of the selected frameworks); returns the exit code. */
export function runControlsList(options: ControlsListOptions, io: CliIO): number {
  // The catalogue is listed whole unless a framework narrows it (scans default to security).
  const selection = selectFrameworks(options.framework.length > 0 ? options.framework : ['all']);
  if (!selection.ok) throw new UsageError(selection.error);
  const controls = selection.value.controls;
  const text =
    options.output === 'json'
      ? `${JSON.stringify({ apiVersion: 'palisade.dev/v1', kind: 'ControlList', controls: listControls(controls) }, null, 2)}\n`
      : options.output === 'md'
        ? renderControlsMarkdown(controls)
        : renderControlsTable(controls);
  io.stdout.write(text);
  return 0;
}

/** Path of the generated catalogue page, relative to the repository root. */
export const CONTROLS_DOC = 'docs/controls.md';

/** The content docs/controls.md must have: the Markdown of the whole catalogue (`all`). */
export function controlsDocText(): string {
  const selection = selectFrameworks(['all']);
  if (!selection.ok) throw new Error(selection.error);
  return renderControlsMarkdown(selection.value.controls);
}
