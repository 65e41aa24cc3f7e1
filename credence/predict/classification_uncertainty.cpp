// Entropy, expected entropy, mutual information and variation ratio of sampled class probabilities.
#include "credence/predict/classification_uncertainty.h"

#include <stdexcept>

namespace credence::predict {

at::Tensor entropy(const at::Tensor& probabilities) {
  return -at::xlogy(probabilities, probabilities).sum(-1);
}

ClassificationUncertainty split_classification_uncertainty(const at::Tensor& probability_samples) {
  if (probability_samples.dim() != 3 || probability_samples.size(0) == 0 || probability_samples.size(2) < 2) {
    throw std::invalid_argument("split_classification_uncertainty: expected probabilities [samples, rows, classes >= 2]");
  }
  auto p = probability_samples.to(at::kDouble);
  const int64_t samples = p.size(0);
  const int64_t classes = p.size(2);
  ClassificationUncertainty u;
  u.probabilities = p.mean(0);
  auto [confidence, predicted] = u.probabilities.max(1);
  u.confidence = confidence;
  u.predicted = predicted;
  u.entropy = entropy(u.probabilities);
  u.aleatoric = entropy(p).mean(0);
  u.epistemic = (u.entropy - u.aleatoric).clamp_min(0.0);
  auto votes = at::one_hot(p.argmax(2), classes).sum(0);  // [N, K]
  u.variation_ratio = 1.0 - std::get<0>(votes.max(1)).to(at::kDouble) / static_cast<double>(samples);
  return u;
}

}  // namespace credence::predict

namespace credence::predict {

ClassificationUncertainty concatenate_rows(const std::vector<ClassificationUncertainty>& chunks) {
  if (chunks.empty()) throw std::invalid_argument("concatenate_rows: no chunks");
  using U = ClassificationUncertainty;
  auto cat = [&](at::Tensor U::*field) {
    std::vector<at::Tensor> parts;
    for (const auto& chunk : chunks) parts.push_back(chunk.*field);
    return at::cat(parts, 0);
  };
  U u;
  for (auto field : {&U::probabilities, &U::predicted, &U::confidence, &U::entropy, &U::aleatoric, &U::epistemic,
                     &U::variation_ratio}) {
    u.*field = cat(field);
  }
  return u;
}

}  // namespace credence::predict
