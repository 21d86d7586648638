// The ISA's KernelTable (kernel_table.h), filled from its `Simd` tile sizes and the functions of
// the other -inl.h parts — the same initialiser for every ISA.
//
// Textually included by each ISA translation unit (isa_*.cc) *inside its anonymous namespace*, last,
// after every other -inl.h part. Includes no header.
#ifndef NONLOCAL_KERNEL_ISA_KERNEL_TABLE_INL_H_
#define NONLOCAL_KERNEL_ISA_KERNEL_TABLE_INL_H_

// constexpr, so each ISA's `static constexpr KernelTable` is constant-initialised (no guard).
constexpr KernelTable MakeKernelTable(const char* name) {
  return KernelTable{name,
                     Simd::W,
                     Simd::kScoreVecs * Simd::W,
                     Simd::kScoreKeys,
                     Simd::kValueRows,
                     Simd::kValueVecs * Simd::W,
                     Simd::kBiasRowLayout,
                     &RunTask,
                     &OuterAccumulate,
                     &TransposeQueries,
                     &PackKeyPanels,
                     &PackValuePanels,
                     &FmaLoop,
                     &ExpArray<Simd>};
}

#endif  // NONLOCAL_KERNEL_ISA_KERNEL_TABLE_INL_H_
