// Which kernel table runs: chosen once from cpuid + xgetbv, optionally lowered by the
// NONLOCAL_AFFINITY_ISA environment variable, and switchable at run time for tests.
#ifndef NONLOCAL_KERNEL_DISPATCH_H_
#define NONLOCAL_KERNEL_DISPATCH_H_

#include "kernel_table.h"

namespace nonlocal {

// Names of the kernel tables this CPU and OS can run, best last ("scalar" always first).
// Returns how many were written into `names` (at most 3).
int SupportedIsas(const char* names[3]) noexcept;

// The table in force for new calls.
const KernelTable* ActiveKernelTable() noexcept;

// The table named `name` if this CPU and OS can run it, else nullptr (the table in force is unchanged).
const KernelTable* SupportedKernelTable(const char* name) noexcept;

// Makes `name` the table in force; false (and no change) if it is unknown or unsupported here.
bool SelectIsa(const char* name) noexcept;

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_DISPATCH_H_
