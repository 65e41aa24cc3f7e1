// Allocator tuning for processes that allocate and free tensors of tens of megabytes over and over
// (the chunks of a Monte Carlo prediction, the activations of a training step).
#pragma once

namespace credence::core {

// glibc returns every freed block above its mmap threshold (at most 32 MB) to the kernel, so the
// next allocation of that size faults in fresh zeroed pages: a Monte Carlo prediction of a CNN in
// chunks of 32 MB activations ran 1.7 times slower than in chunks of 16 MB for that alone. This
// raises the threshold and the trim threshold to 1 GB, so freed blocks are reused; the peak
// resident memory does not change, but memory freed after the peak is kept by the process.
// Process-wide: the command-line tool and the benchmarks call it at start; an embedder may.
// Returns false where the C library has no such setting.
bool keep_freed_memory_for_reuse();

}  // namespace credence::core
