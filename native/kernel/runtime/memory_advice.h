// Transparent huge pages for large fresh buffers. Every first touch of a 4 KB page is a page
// fault (a few microseconds each on a virtual machine): a fresh 14 MB block output takes 3 400 of
// them, while backed by 2 MB pages the same range takes seven. Only a hint: the OS may refuse, and
// nothing changes but speed (the range's contents are untouched).
#ifndef NONLOCAL_KERNEL_RUNTIME_MEMORY_ADVICE_H_
#define NONLOCAL_KERNEL_RUNTIME_MEMORY_ADVICE_H_

#include <cstddef>

namespace nonlocal {

// madvise(MADV_HUGEPAGE) on the whole 2 MB-aligned pages inside [p, p + bytes); a no-op off Linux.
void AdviseHugePages(void* p, size_t bytes) noexcept;

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_RUNTIME_MEMORY_ADVICE_H_
