// Categorical likelihoods for classification: softmax cross-entropy, and softmax with Gaussian
// noise on the logits (Kendall & Gal 2017), whose noise variance is the aleatoric part.
#pragma once

#include <ATen/ATen.h>
#include <c10/util/Optional.h>

#include <string>

namespace credence::inference {

enum class ClassLikelihood {
  categorical,   // the network outputs K logits
  noisy_logits,  // the network outputs K logit means and K logit log-variances
};
ClassLikelihood class_likelihood_from_string(const std::string& name);
std::string to_string(ClassLikelihood likelihood);

// What turns a classifier's outputs into class probabilities: the likelihood, the softmax
// temperature and, for noisy logits, the noise draws averaged inside each posterior sample.
struct ClassifierHead {
  ClassLikelihood likelihood = ClassLikelihood::categorical;
  double temperature = 1.0;
  int64_t noise_samples = 20;
};

// Network outputs per input: K for categorical, 2K for noisy logits.
int64_t class_output_width(ClassLikelihood likelihood, int64_t classes);

// Element-wise -log softmax(logits)[label]: logits [B, K], labels [B] int64 -> [B].
at::Tensor categorical_negative_log_likelihood(const at::Tensor& logits, const at::Tensor& labels);

// Element-wise -log (1/T) sum_t softmax(mu + sigma * eps_t)[label], eps_t ~ N(0, I), computed as a
// log-mean-exp of log-softmax values: outputs [B, 2K] = (mu, log sigma^2), labels [B] -> [B].
at::Tensor noisy_logit_negative_log_likelihood(const at::Tensor& outputs, const at::Tensor& labels,
                                               int64_t noise_samples, c10::optional<at::Generator> generator);

// Class probabilities for network outputs [..., width]. Categorical: softmax(logits / T).
// Noisy logits: the mean over `noise_samples` draws of softmax((mu + sigma eps) / T).
at::Tensor class_probabilities(ClassLikelihood likelihood, const at::Tensor& outputs, double temperature = 1.0,
                               int64_t noise_samples = 100, c10::optional<at::Generator> generator = c10::nullopt);
// Noisy logits with the noise given: eps [T, ..., K] for outputs [..., 2K].
at::Tensor noisy_logit_probabilities(const at::Tensor& outputs, double temperature, const at::Tensor& eps);

}  // namespace credence::inference
