/**
 * `block`: the whole non-local block of a PyTorch checkpoint on one .npy input.
 */
import type { Command } from 'commander';
import { info, nonLocalBlockAsync, writeNpy, type Tensor } from '../../index';
import { addBlockOptions, blockOptions, describeBlock, loadBlockWeights, settingsText, type BlockCliOptions } from '../block-options';
import { readInput, refuseOverwritingInputs } from '../files';
import { CliError, errorCode, describeError, EXIT_OK, fileError, msSince, msText, print, printJson, say, shapeText } from '../output';
import { runCommand, type CommonOptions } from '../run';

interface BlockOptions extends BlockCliOptions, CommonOptions {
  input: string;
  output: string;
}

/** Adds `block` to the program. */
export function registerBlock(program: Command): void {
  const command = program
    .command('block')
    .summary('a whole non-local block (PyTorch checkpoint) on one .npy input')
    .description('Runs z = x + W_z·y(θ(x), φ(x), g(x)) with the weights of a safetensors checkpoint on x [B, C, L], [B, C, H, W] or [B, C, T, H, W].')
    .requiredOption('--input <file>', 'x .npy, PyTorch layout [B, C, ...]')
    .requiredOption('--output <file>', 'where to write z (.npy, atomically)');
  addBlockOptions(command)
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: BlockOptions, cmd: Command) => {
      await runCommand(cmd, 'block', opts.json === true, () => block(opts));
    });
}

async function block(opts: BlockOptions): Promise<number> {
  refuseOverwritingInputs(opts.output, [opts.input, opts.weights], '--output');
  const loadStart = performance.now();
  const weights = await loadBlockWeights(opts);
  const weightsMs = msSince(loadStart);

  const readStart = performance.now();
  const x = readInput(opts.input);
  const readMs = msSince(readStart);

  const computeStart = performance.now();
  let z: Tensor;
  try {
    z = await nonLocalBlockAsync(x, weights, blockOptions(opts));
  } catch (error) {
    throw new CliError({ path: opts.input, code: errorCode(error, 'compute'), message: describeError(error, opts.input) });
  }
  const computeMs = msSince(computeStart);

  const writeStart = performance.now();
  try {
    writeNpy(opts.output, z);
  } catch (error) {
    throw new CliError(fileError(error, opts.output, 'write'));
  }
  const writeMs = msSince(writeStart);

  const here = info();
  const threads = opts.threads ?? here.threads;
  const described = describeBlock(opts, weights);
  if (opts.json === true) {
    printJson({
      command: 'block', ok: true, input: { path: opts.input, shape: x.shape }, output: { path: opts.output, shape: z.shape },
      weights: described, threads, isa: here.isa, timings: { weightsMs, readMs, computeMs, writeMs },
    });
  } else {
    print(`${opts.output} ${shapeText(z.shape)}`);
    say(`block: ${settingsText(weights)}; ${here.isa}, ${threads} thread${threads === 1 ? '' : 's'}: weights ${msText(weightsMs)}, read ${msText(readMs)}, compute ${msText(computeMs)}, write ${msText(writeMs)}`);
  }
  return EXIT_OK;
}
