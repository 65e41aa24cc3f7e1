// Chunked ensemble sampling of classifier outputs and probabilities.
#include "credence/predict/class_probability_samples.h"

namespace credence::predict {

at::Tensor sample_ensemble_outputs(std::vector<nn::Network>& members, const at::Tensor& x, const PredictOptions& options) {
  return sample_outputs(members, x, options);
}

at::Tensor sample_class_probabilities(std::vector<nn::Network>& members, const inference::ClassifierHead& head,
                                      const at::Tensor& x, const PredictOptions& options,
                                      c10::optional<at::Generator> generator) {
  const bool noisy = head.likelihood == inference::ClassLikelihood::noisy_logits;
  std::vector<at::Tensor> chunks;
  for_each_output_chunk(members, x, options, noisy ? head.noise_samples : 1, [&](const at::Tensor& outputs) {
    chunks.push_back(
        inference::class_probabilities(head.likelihood, outputs, head.temperature, head.noise_samples, generator));
  });
  if (!chunks.empty()) return at::cat(chunks, 1);
  const int64_t width = members.front()->output_shape().at(0);
  return at::empty({1, 0, noisy ? width / 2 : width}, x.options());
}

}  // namespace credence::predict
