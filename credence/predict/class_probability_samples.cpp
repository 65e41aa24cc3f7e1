// Chunked ensemble sampling of classifier outputs and probabilities.
#include "credence/predict/class_probability_samples.h"

#include "credence/core/row_keyed_noise.h"

#include <ATen/CPUGeneratorImpl.h>

namespace credence::predict {

at::Tensor sample_ensemble_outputs(std::vector<nn::Network>& members, const at::Tensor& x, const PredictOptions& options) {
  return sample_outputs(members, x, options);
}

void for_each_class_probability_chunk(std::vector<nn::Network>& members, const inference::ClassifierHead& head,
                                      const at::Tensor& x, const PredictOptions& options,
                                      c10::optional<at::Generator> generator, const ProbabilityChunkVisitor& visit) {
  const bool noisy = head.likelihood == inference::ClassLikelihood::noisy_logits;
  core::RowKeyedNoise logit_noise;
  if (noisy && x.device().is_cpu() && x.size(0) > 0) {
    auto g = generator ? *generator : at::detail::getDefaultCPUGenerator();
    int64_t draws = 0;
    for (auto& member : members) draws += draws_per_member(member, options.samples(), static_cast<int64_t>(members.size()));
    if (g.device().is_cpu()) logit_noise = core::RowKeyedNoise(g, head.noise_samples * draws, x.size(0));
  }
  for_each_output_chunk(members, x, options, noisy ? head.noise_samples : 1, [&](const at::Tensor& outputs, int64_t first_row) {
    if (logit_noise.active()) {
      // [T * D, rows, K] viewed as [T, D, rows, K]: noise sample t of draw d of each row.
      const int64_t classes = outputs.size(2) / 2;
      auto eps = logit_noise.standard_normal(first_row, outputs.size(1), {classes})
                     .view({head.noise_samples, outputs.size(0), outputs.size(1), classes});
      visit(inference::noisy_logit_probabilities(outputs, head.temperature, eps), first_row);
      return;
    }
    visit(inference::class_probabilities(head.likelihood, outputs, head.temperature, head.noise_samples, generator), first_row);
  });
}

at::Tensor sample_class_probabilities(std::vector<nn::Network>& members, const inference::ClassifierHead& head,
                                      const at::Tensor& x, const PredictOptions& options,
                                      c10::optional<at::Generator> generator) {
  const bool noisy = head.likelihood == inference::ClassLikelihood::noisy_logits;
  std::vector<at::Tensor> chunks;
  for_each_class_probability_chunk(members, head, x, options, generator,
                                   [&](const at::Tensor& probabilities, int64_t) { chunks.push_back(probabilities); });
  if (!chunks.empty()) return at::cat(chunks, 1);
  const int64_t width = members.front()->output_shape().at(0);
  return at::empty({1, 0, noisy ? width / 2 : width}, x.options());
}

}  // namespace credence::predict
