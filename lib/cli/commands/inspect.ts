/**
 * `inspect`: every non-local block in a checkpoint — prefix, naming convention, model family, sizes,
 * each setting and where it came from, tensors skipped — before anything runs.
 */
import type { Command } from 'commander';
import { inspectCheckpoint, type CheckpointBlock, type CheckpointBlockError, type CheckpointReport, type SettingOrigin } from '../../index';
import { CliError, EXIT_FAILED, EXIT_OK, fileError, print, printJson } from '../output';
import { runCommand, type CommonOptions } from '../run';

/** Adds `inspect` to the program. */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .summary('list the non-local blocks in a checkpoint and the settings the loader would use')
    .description('Lists every non-local block in a safetensors checkpoint: prefix, naming convention, recognised model family, C, C_inter, mode, sub-sampling, BatchNorm, use_scale and where each setting came from. Exit code 1 if the file holds no block or a block cannot be loaded.')
    .argument('<checkpoint>', 'a .safetensors state dict (a block or a whole model)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (checkpoint: string, opts: CommonOptions, cmd: Command) => {
      await runCommand(cmd, 'inspect', opts.json === true, () => inspect(checkpoint, opts));
    });
}

const isError = (b: CheckpointBlock | CheckpointBlockError): b is CheckpointBlockError => 'error' in b;

async function inspect(checkpoint: string, opts: CommonOptions): Promise<number> {
  let report: CheckpointReport;
  try {
    report = await inspectCheckpoint(checkpoint);
  } catch (error) {
    throw new CliError(fileError(error, checkpoint, 'read'));
  }
  const failed = report.blocks.length === 0 || report.blocks.some(isError);
  if (opts.json === true) {
    printJson({ command: 'inspect', ok: !failed, ...report });
  } else {
    const n = report.blocks.length;
    print(`${checkpoint}: ${report.tensors} tensors, ${n} non-local block${n === 1 ? '' : 's'}, ${report.otherTensors} other tensors`);
    for (const block of report.blocks) print(isError(block) ? errorText(block) : blockText(block));
  }
  return failed ? EXIT_FAILED : EXIT_OK;
}

const origin = (o: SettingOrigin): string => `${o.kind}: ${o.detail}`;

function blockText(b: CheckpointBlock): string {
  const dims = b.dims === null ? '' : `, ${b.dims}-D kernels`;
  const lines = [
    '',
    `${b.prefix === '' ? '(root)' : b.prefix}`,
    `  convention  ${b.convention} names`,
    `  family      ${b.family === null ? `none known at this key path (${b.source} settings)` : `${b.family} (${b.source})`}`,
    `  channels    C ${b.inChannels}, C_inter ${b.interChannels}${dims}`,
    `  mode        ${b.mode ?? `ambiguous: pass --mode ${b.modeChoices.join(' | ')}`}${b.from.mode === null ? '' : `  [${origin(b.from.mode)}]`}`,
    `  use_scale   ${b.useScale}  [${origin(b.from.useScale)}]${b.mode !== null && b.mode !== 'embedded_gaussian' ? ' (no effect for this mode)' : ''}`,
    `  sub_sample  ${b.subSample}  [${origin(b.from.subSample)}]`,
    ...(b.subSample ? [`  pooling     ${b.poolBeforeConv ? 'before' : 'after'} the φ/g convolutions  [${origin(b.from.poolBeforeConv)}]`] : []),
    `  BatchNorm   ${b.batchNorm ? 'after W_z (folded into it)' : 'none'}`,
    `  skipped     ${b.skipped.length === 0 ? 'none' : b.skipped.map((s) => `${s.name.slice(b.prefix.length)} (${s.dtype}, not a weight)`).join(', ')}`,
  ];
  return lines.join('\n');
}

function errorText(b: CheckpointBlockError): string {
  return `\n${b.prefix === '' ? '(root)' : b.prefix}\n  convention  ${b.convention} names\n  cannot load ${b.error.code}: ${b.error.message}`;
}
