import { UsageError } from '../../core/index.js';
import {
  listControls,
  renderControlsMarkdown,
  renderControlsTable,
  selectFrameworks,
} from '../../frameworks/index.js';
import type { CliIO } from '../io.js';
import { parseOutputs, renderData, writeOutputs, type OutputFormats } from '../output.js';

/** The formats of `palisade controls list`. */
export const CONTROLS_FORMATS: OutputFormats<'table' | 'json' | 'yaml' | 'md'> = {
  formats: ['table', 'json', 'yaml', 'md'],
  default: 'table',
  aliases: { text: 'table', markdown: 'md' },
};

/** Options of `palisade controls list`. */
export interface ControlsListOptions {
  framework: string[];
  output: string[];
  outputFile?: string;
}

/** Prints the catalogue (or the controls of the selected frameworks); returns the exit code. */
export async function runControlsList(options: ControlsListOptions, io: CliIO): Promise<number> {
  const outputs = parseOutputs(options.output, options.outputFile, CONTROLS_FORMATS);
  // The catalogue is listed whole unless a framework narrows it (scans default to security).
  const selection = selectFrameworks(options.framework.length > 0 ? options.framework : ['all']);
  if (!selection.ok) throw new UsageError(selection.error);
  const controls = selection.value.controls;
  await writeOutputs(outputs, io, (format) =>
    format === 'md'
      ? renderControlsMarkdown(controls)
      : format === 'table'
        ? renderControlsTable(controls)
        : renderData(format, {
            apiVersion: 'palisade.dev/v1',
            kind: 'ControlList',
            controls: listControls(controls),
          }),
  );
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
