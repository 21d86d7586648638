// Transparent huge pages for large fresh buffers. Every first touch of a 4 KB page is a page
// fault, and on a paravirtualised VM each one costs several microseconds: writing a fresh 14 MB
// block output takes 3 400 of them, about a tenth of the whole C = 1024 block on one core. Backed
// by 2 MB pages the same range takes seven. Only a hint: the kernel may refuse, and nothing changes
// but speed (the range's contents are untouched).
#ifndef NONLOCAL_KERNEL_MEMORY_ADVICE_H_
#define NONLOCAL_KERNEL_MEMORY_ADVICE_H_

#include <cstddef>

namespace nonlocal {

// madvise(MADV_HUGEPAGE) on the whole 2 MB-aligned pages inside [p, p + bytes); a no-op off Linux.
void AdviseHugePages(void* p, size_t bytes) noexcept;

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_MEMORY_ADVICE_H_
