// Minibatch training that maximises a per-row bound on the data's log-likelihood: the loop the
// auto-encoder (its reconstruction log-likelihood) and the VAE (the ELBO, or the importance-weighted
// bound) share, so that their epochs cost the same apart from the objective. Adam on every
// parameter of the networks, shuffled minibatches, optionally a fresh Bernoulli draw of every pixel
// in every minibatch (dynamic binarisation, Burda et al.'s MNIST protocol), a learning-rate schedule
// over the epochs, and a stop naming the epoch and the batch when the bound is NaN or infinite.
#pragma once

#include "credence/inference/learning_rate_schedule.h"
#include "credence/nn/network.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace credence::generative {

struct BoundTrainOptions {
  int64_t epochs = 100;
  int64_t batch_size = 100;
  double learning_rate = 1e-3;
  inference::LearningRateSchedule schedule = inference::LearningRateSchedule::constant;
  bool dynamic_binarisation = false;
  std::ostream* progress = nullptr;  // one line per tenth of the epochs: the bound and its KL part
};

// The bound per row [B] of one minibatch, differentiable in the networks' parameters, and its KL
// part per row (undefined when the objective has none, as the auto-encoder's).
struct BoundTerms {
  at::Tensor value;
  at::Tensor kl;
};
using BoundObjective = std::function<BoundTerms(const at::Tensor& x)>;

struct BoundTrainingHistory {
  std::vector<double> bound;  // per epoch: the mean training bound per row (nats)
  std::vector<double> kl;     // per epoch: the mean KL part per row (empty without one)
  double seconds = 0.0;
};

// Trains `networks` (in training mode; evaluation mode after) on `rows`; `bound_name` names the
// bound in the progress lines ("elbo", ...). Throws std::invalid_argument for bad options or no
// rows, and inference::TrainingDiverged when the bound becomes NaN or infinite.
BoundTrainingHistory maximise_bound(std::vector<nn::Network> networks, const at::Tensor& rows,
                                    const BoundTrainOptions& options, at::Generator& generator, const BoundObjective& objective,
                                    const std::string& bound_name);

// Rows in the network's own dtype (images are read as float32; a test may build float64 networks).
at::Tensor in_network_dtype(const nn::Network& network, const at::Tensor& rows);

}  // namespace credence::generative
