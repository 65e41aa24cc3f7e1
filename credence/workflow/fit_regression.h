// fit_regression: from raw rows and targets to a trained, saved-ready regression network.
// The workflow module sits above io in the layering: it composes data, inference, predict and io.
#pragma once

#include "credence/inference/trainer.h"
#include "credence/io/regression_model.h"
#include "credence/nn/mlp.h"

#include <cstdint>
#include <string>
#include <vector>

namespace credence::workflow {

struct RegressionFitOptions {
  TORCH_ARG(std::vector<int64_t>, hidden) = std::vector<int64_t>{50};
  TORCH_ARG(nn::Activation, activation) = nn::Activation::relu;
  TORCH_ARG(nn::Method, method) = nn::Method::bbb;
  TORCH_ARG(core::PriorOptions, prior) = {};
  TORCH_ARG(nn::Estimator, estimator) = nn::Estimator::local_reparameterization;
  TORCH_ARG(double, initial_sigma) = 1e-2;
  TORCH_ARG(double, dropout) = 0.05;
  TORCH_ARG(inference::NoiseModel, noise) = inference::NoiseModel::homoscedastic;
  // Fixed noise only: the noise precision tau in the target's original units.
  TORCH_ARG(double, noise_precision) = 1.0;
  TORCH_ARG(inference::TrainOptions, training) = {};
  // Fraction of the training rows held out for early stopping (0: none).
  TORCH_ARG(double, validation_fraction) = 0.0;
  // Monte Carlo samples for the validation NLL after each epoch.
  TORCH_ARG(int64_t, validation_samples) = 10;
  TORCH_ARG(std::uint64_t, seed) = 0;
};

struct RegressionFit {
  io::RegressionModel model;
  inference::TrainingHistory history;
};

// Standardises inputs and targets on the training rows, builds the network and likelihood,
// trains with one generator seeded by options.seed, and returns the model with its history.
RegressionFit fit_regression(const at::Tensor& inputs, const at::Tensor& targets,
                             const std::vector<std::string>& feature_names, const std::string& target_name,
                             const RegressionFitOptions& options);

// The training settings as a JSON object, as stored in the model file.
std::string training_settings_json(const RegressionFitOptions& options);

}  // namespace credence::workflow
