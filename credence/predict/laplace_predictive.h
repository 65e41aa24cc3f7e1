// Predictives of a Laplace posterior (inference/laplace_approximation.h): the linearised (GLM) one,
// f(x) ~ N(f_map(x), J(x) Sigma J(x)^T), and the Monte Carlo one, weights drawn from
// N(theta_map, Sigma) through the network; shaped as every other method's draws so that the
// uncertainty split and the CLI columns are the same.
#pragma once

#include "credence/inference/categorical_likelihood.h"
#include "credence/inference/gaussian_likelihood.h"
#include "credence/inference/laplace_approximation.h"
#include "credence/nn/network.h"
#include "credence/predict/class_probability_samples.h"
#include "credence/predict/output_samples.h"
#include "credence/predict/predictive_samples.h"

#include <ATen/ATen.h>
#include <c10/util/Optional.h>

#include <cstdint>

namespace credence::predict {

// The linearised network's outputs: mean f_map(x) [N, K] and covariance J Sigma J^T [N, K, K] (float64).
struct LinearisedOutputs {
  at::Tensor mean, covariance;
};
LinearisedOutputs linearised_outputs(nn::Network& net, const inference::LaplacePosterior& posterior, const at::Tensor& x,
                                     int64_t batch_rows = 256);

// Output draws [S, N, K] of the posterior's own predictive (glm: from N(mean, covariance) per row;
// mc: S weight draws, held for every chunk of rows, through the network in one batched pass).
at::Tensor sample_laplace_outputs(nn::Network& net, const inference::LaplacePosterior& posterior, const at::Tensor& x,
                                  int64_t samples, c10::optional<at::Generator> generator);
// The same chunk by chunk within options' memory budget: visit(outputs [S, rows, K], first_row).
// The weight draws (mc) are held for every chunk and the Gaussian noise (glm) is addressed by row,
// so the draws do not depend on the chunks.
void for_each_laplace_output_chunk(nn::Network& net, const inference::LaplacePosterior& posterior, const at::Tensor& x,
                                   const PredictOptions& options, c10::optional<at::Generator> generator,
                                   const OutputChunkVisitor& visit);

// S equal-weight points of N(0, 1): the normal quantiles at (s + 1/2) / S, rescaled to mean 0 and
// variance 1 (divisor S), so that a Gaussian's mean and variance come out exactly; [S], float64.
at::Tensor standard_normal_points(int64_t samples);

// Regression: glm gives D = S points mean + sqrt(J Sigma J^T of the mean output) * standard_normal_points
// with the noise variance at theta_map, so the epistemic variance is exactly J Sigma J^T and the
// aleatoric the likelihood's; mc gives S weight draws through the likelihood.
void for_each_laplace_predictive_chunk(nn::Network& net, inference::GaussianLikelihood& likelihood,
                                       const inference::LaplacePosterior& posterior, const at::Tensor& x,
                                       const PredictOptions& options, c10::optional<at::Generator> generator,
                                       const PredictiveChunkVisitor& visit);
PredictiveSamples sample_laplace_predictive(nn::Network& net, inference::GaussianLikelihood& likelihood,
                                            const inference::LaplacePosterior& posterior, const at::Tensor& x,
                                            const PredictOptions& options, c10::optional<at::Generator> generator);

// Classification: class probabilities [S, N, K] of S logit draws (glm: Gaussian logits; mc: weight draws).
void for_each_laplace_class_probability_chunk(nn::Network& net, const inference::ClassifierHead& head,
                                              const inference::LaplacePosterior& posterior, const at::Tensor& x,
                                              const PredictOptions& options, c10::optional<at::Generator> generator,
                                              const ProbabilityChunkVisitor& visit);
at::Tensor sample_laplace_class_probabilities(nn::Network& net, const inference::ClassifierHead& head,
                                              const inference::LaplacePosterior& posterior, const at::Tensor& x,
                                              const PredictOptions& options, c10::optional<at::Generator> generator);

}  // namespace credence::predict
