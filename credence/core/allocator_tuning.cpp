// Allocator tuning through glibc's mallopt.
#include "credence/core/allocator_tuning.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace credence::core {

bool keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  constexpr int kOneGigabyte = 1 << 30;
  return mallopt(M_MMAP_THRESHOLD, kOneGigabyte) == 1 && mallopt(M_TRIM_THRESHOLD, kOneGigabyte) == 1;
#else
  return false;
#endif
}

}  // namespace credence::core
