/** Runs a block of tests once per kernel the CPU supports, restoring the default afterwards. */
import { binding } from '../../lib/native/binding';

export const SUPPORTED_ISAS: string[] = binding().info().isas;
const DEFAULT_ISA = binding().info().isa;

export function useIsa(isa: string): void {
  if (!binding().selectIsa(isa)) throw new Error(`cannot select ${isa}`);
}

export function restoreIsa(): void {
  binding().selectIsa(DEFAULT_ISA);
}
