// fit_classification: from raw inputs and integer labels to a trained classifier or ensemble,
// with optional temperature scaling on a held-out validation split.
#pragma once

#include "credence/inference/categorical_likelihood.h"
#include "credence/inference/laplace_approximation.h"
#include "credence/inference/hamiltonian_monte_carlo.h"
#include "credence/inference/network_log_density.h"
#include "credence/inference/stein_variational_gradient_descent.h"
#include "credence/inference/stochastic_gradient_mcmc.h"
#include "credence/inference/swag.h"
#include "credence/inference/trainer.h"
#include "credence/io/classification_model.h"
#include "credence/nn/network.h"
#include "credence/workflow/resumable_training.h"
#include "credence/nn/network_options.h"
#include "credence/predict/temperature_scaling.h"

#include <cstdint>
#include <string>
#include <vector>

namespace credence::workflow {

struct ClassificationFitOptions {
  // The architecture (preset or spec file) and the method with its settings.
  TORCH_ARG(nn::NetworkOptions, network) = {};
  TORCH_ARG(inference::ClassLikelihood, likelihood) = inference::ClassLikelihood::categorical;
  // Noisy logits: noise draws inside the log during training (the model keeps this count for prediction too).
  TORCH_ARG(int64_t, noise_samples) = 10;
  // Networks trained independently with seeds seed, seed + 1, ... (more than one: an ensemble).
  TORCH_ARG(int64_t, members) = 1;
  // Bagging: each member trains on a bootstrap resample of the training rows (same count, drawn
  // with replacement from the member's generator after its initial weights).
  TORCH_ARG(bool, bootstrap) = false;
  // > 0: every input is divided by this constant (image pixels); 0: each column is standardised
  // on the training rows.
  TORCH_ARG(double, input_scale) = 0.0;
  // Fit a softmax temperature on the validation rows (needs validation_fraction > 0, categorical).
  TORCH_ARG(bool, temperature_scaling) = false;
  TORCH_ARG(inference::TrainOptions, training) = {};
  TORCH_ARG(double, validation_fraction) = 0.0;
  TORCH_ARG(int64_t, validation_samples) = 10;
  TORCH_ARG(std::uint64_t, seed) = 0;
  // MOPED: start a bbb network from this trained deterministic one of the same spec (see fit_regression.h).
  TORCH_ARG(nn::Network, initial_network) = nullptr;
  TORCH_ARG(double, moped_delta) = 0.1;
  // A posterior method of workflow/posterior_method.h fitted on a deterministic network of the spec
  // (empty: the network's own method). Each method's settings sit beside it.
  TORCH_ARG(std::string, posterior) = "";
  // Checkpoints written through the training, and a checkpoint to resume from (resumable_training.h).
  TORCH_ARG(CheckpointSettings, checkpoint) = {};
  // posterior "laplace": the subset, Hessian structure, prior precision and predictive (workflow/fit_laplace.h).
  TORCH_ARG(inference::LaplaceOptions, laplace) = {};
  // Sampled posteriors (workflow/fit_sampled_posterior.h): the prior, and each sampler's settings.
  TORCH_ARG(inference::NetworkLogDensityOptions, log_density) = {};
  TORCH_ARG(inference::HmcOptions, hmc) = {};
  TORCH_ARG(inference::SgMcmcOptions, sg_mcmc) = {};
  TORCH_ARG(inference::SvgdOptions, svgd) = {};
  TORCH_ARG(inference::SwagOptions, swag) = {};
};

struct ClassificationFit {
  io::ClassificationModel model;
  std::vector<inference::TrainingHistory> histories;  // one per member (one for a sampled posterior)
  // A sampled posterior's diagnostics and warnings, as printable lines (empty otherwise).
  std::string posterior_report;
  // Lines to print before the run's results (a resumed checkpoint's thread-count warning).
  std::string warnings;
  predict::TemperatureFit temperature;                 // with temperature_scaling
};

// inputs [n, d] raw (image rows flattened); labels [n] int64 in 0..classes-1 with classes = class_names.size().
ClassificationFit fit_classification(const at::Tensor& inputs, const at::Tensor& labels, const io::InputLayout& layout,
                                     const std::vector<std::string>& class_names, const std::string& target_name,
                                     const ClassificationFitOptions& options);

}  // namespace credence::workflow
