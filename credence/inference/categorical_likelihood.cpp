// Categorical and noisy-logit likelihoods.
#include "credence/inference/categorical_likelihood.h"

#include <cmath>
#include <stdexcept>

namespace credence::inference {

ClassLikelihood class_likelihood_from_string(const std::string& name) {
  if (name == "categorical") return ClassLikelihood::categorical;
  if (name == "noisy-logits") return ClassLikelihood::noisy_logits;
  throw std::invalid_argument("unknown classification likelihood '" + name + "' (expected categorical or noisy-logits)");
}

std::string to_string(ClassLikelihood likelihood) {
  return likelihood == ClassLikelihood::categorical ? "categorical" : "noisy-logits";
}

int64_t class_output_width(ClassLikelihood likelihood, int64_t classes) {
  if (classes < 2) throw std::invalid_argument("classification needs at least two classes");
  return likelihood == ClassLikelihood::categorical ? classes : 2 * classes;
}

namespace {

void check_labels(const at::Tensor& scores, const at::Tensor& labels, int64_t classes) {
  if (scores.dim() != 2 || labels.dim() != 1 || scores.size(0) != labels.size(0)) {
    throw std::invalid_argument("classification likelihood: expected outputs [B, width] and labels [B]");
  }
  if (labels.scalar_type() != at::kLong) throw std::invalid_argument("classification likelihood: labels must be int64");
  (void)classes;
}

}  // namespace

at::Tensor categorical_negative_log_likelihood(const at::Tensor& logits, const at::Tensor& labels) {
  check_labels(logits, labels, logits.size(1));
  return -at::log_softmax(logits, 1).gather(1, labels.unsqueeze(1)).squeeze(1);
}

at::Tensor noisy_logit_negative_log_likelihood(const at::Tensor& outputs, const at::Tensor& labels,
                                               int64_t noise_samples, c10::optional<at::Generator> generator) {
  check_labels(outputs, labels, outputs.size(1) / 2);
  if (outputs.size(1) % 2 != 0) throw std::invalid_argument("noisy logits: expected an even number of outputs");
  if (noise_samples <= 0) throw std::invalid_argument("noisy logits: the number of noise samples must be positive");
  const int64_t classes = outputs.size(1) / 2;
  auto mean = outputs.slice(1, 0, classes);
  auto sigma = at::exp(0.5 * outputs.slice(1, classes, 2 * classes));
  auto eps = at::normal(0.0, 1.0, {noise_samples, outputs.size(0), classes}, generator, outputs.options());
  auto logits = at::addcmul(mean.unsqueeze(0), sigma.unsqueeze(0), eps);  // [T, B, K]
  auto index = labels.view({1, -1, 1}).expand({noise_samples, labels.size(0), 1});
  auto log_p = at::log_softmax(logits, 2).gather(2, index).squeeze(2);  // [T, B]
  return -(at::logsumexp(log_p, 0) - std::log(static_cast<double>(noise_samples)));
}

at::Tensor class_probabilities(ClassLikelihood likelihood, const at::Tensor& outputs, double temperature,
                               int64_t noise_samples, c10::optional<at::Generator> generator) {
  if (!(temperature > 0.0)) throw std::invalid_argument("class_probabilities: the temperature must be positive");
  const int64_t last = outputs.dim() - 1;
  if (likelihood == ClassLikelihood::categorical) return at::softmax(outputs / temperature, last);
  if (noise_samples <= 0) throw std::invalid_argument("noisy logits: the number of noise samples must be positive");
  auto sizes = outputs.sizes().vec();
  sizes.back() /= 2;
  sizes.insert(sizes.begin(), noise_samples);
  return noisy_logit_probabilities(outputs, temperature, at::normal(0.0, 1.0, sizes, generator, outputs.options()));
}

at::Tensor noisy_logit_probabilities(const at::Tensor& outputs, double temperature, const at::Tensor& eps) {
  if (!(temperature > 0.0)) throw std::invalid_argument("class_probabilities: the temperature must be positive");
  const int64_t last = outputs.dim() - 1;
  const int64_t classes = outputs.size(last) / 2;
  auto mean = outputs.narrow(last, 0, classes);
  auto sigma = at::exp(0.5 * outputs.narrow(last, classes, classes));
  auto logits = at::addcmul(mean.unsqueeze(0), sigma.unsqueeze(0), eps.to(outputs.options()));
  return at::softmax(logits / temperature, last + 1).mean(0);
}

}  // namespace credence::inference
