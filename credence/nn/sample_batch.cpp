// SampleBatch layouts.
#include "credence/nn/sample_batch.h"

#include <vector>

namespace credence::nn {

at::Tensor SampleBatch::by_sample() const {
  std::vector<int64_t> sizes{samples, rows()};
  for (int64_t d = 1; d < values.dim(); ++d) sizes.push_back(values.size(d));
  if (!shared) return values.view(sizes);
  return values.unsqueeze(0).expand(sizes);
}

at::Tensor SampleBatch::expanded() const {
  if (!shared) return values;
  auto sizes = values.sizes().vec();
  sizes[0] *= samples;
  return by_sample().reshape(sizes);
}

}  // namespace credence::nn
