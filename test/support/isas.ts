/**
 * Runs a block of tests once per kernel the CPU supports, restoring the default afterwards. A
 * kernel this package has for the architecture but the CPU lacks is not silently dropped: each
 * suite that imports this file gets a skipped test naming it, and a line on stderr.
 */
import { binding } from '../../lib/native/binding';

export const SUPPORTED_ISAS: string[] = binding().info().isas;
const DEFAULT_ISA = binding().info().isa;

/** The kernels built for this architecture (native/kernel/isa/), best last. */
const KERNELS_FOR_ARCH: readonly string[] = process.arch === 'x64' ? ['scalar', 'avx2', 'avx512'] : process.arch === 'arm64' ? ['scalar', 'neon'] : ['scalar'];
export const MISSING_ISAS: string[] = KERNELS_FOR_ARCH.filter((isa) => !SUPPORTED_ISAS.includes(isa));

for (const isa of MISSING_ISAS) {
  process.stderr.write(`skip: the ${isa} kernel's tests — this CPU (or OS) cannot run ${isa}\n`);
  test.skip(`${isa} kernel: not run, this CPU (or OS) cannot run it`, () => undefined);
}

export function useIsa(isa: string): void {
  if (!binding().selectIsa(isa)) throw new Error(`cannot select ${isa}`);
}

export function restoreIsa(): void {
  binding().selectIsa(DEFAULT_ISA);
}
