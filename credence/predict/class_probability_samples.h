// Monte Carlo class probabilities of one classifier or an ensemble of them, in one batched pass per chunk.
#pragma once

#include "credence/inference/categorical_likelihood.h"
#include "credence/nn/mlp.h"
#include "credence/predict/predictive_samples.h"

#include <ATen/ATen.h>

#include <vector>

namespace credence::predict {

struct ClassifierHead {
  inference::ClassLikelihood likelihood = inference::ClassLikelihood::categorical;
  double temperature = 1.0;
  // Noisy logits only: noise draws averaged inside each posterior sample.
  int64_t noise_samples = 20;
};

// Draws per member so that every member weighs the same: S split evenly (rounded up) over
// stochastic members, one draw for a deterministic member.
int64_t draws_per_member(const nn::Mlp& member, int64_t samples, int64_t members);

// Raw network outputs [D, N, width], D = members x draws_per_member (categorical logits, say,
// for fitting a temperature).
at::Tensor sample_ensemble_outputs(std::vector<nn::Mlp>& members, const at::Tensor& x, const PredictOptions& options);

// Class probabilities [D, N, K]: each member's draws through the head, concatenated.
at::Tensor sample_class_probabilities(std::vector<nn::Mlp>& members, const ClassifierHead& head, const at::Tensor& x,
                                      const PredictOptions& options,
                                      c10::optional<at::Generator> generator = c10::nullopt);

}  // namespace credence::predict
