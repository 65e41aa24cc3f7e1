// fit_regression: from raw rows and targets to a trained, ready-to-save regression network or ensemble.
// The workflow module sits above io in the layering: it composes data, inference, predict and io.
#pragma once

#include "credence/inference/laplace_approximation.h"
#include "credence/inference/hamiltonian_monte_carlo.h"
#include "credence/inference/network_log_density.h"
#include "credence/inference/stein_variational_gradient_descent.h"
#include "credence/inference/stochastic_gradient_mcmc.h"
#include "credence/inference/swag.h"
#include "credence/inference/trainer.h"
#include "credence/io/regression_model.h"
#include "credence/nn/network.h"
#include "credence/workflow/resumable_training.h"
#include "credence/nn/network_options.h"

#include <cstdint>
#include <string>
#include <vector>

namespace credence::workflow {

struct RegressionFitOptions {
  // The architecture (preset or spec file) and the method with its settings.
  TORCH_ARG(nn::NetworkOptions, network) = {};
  // Networks trained independently from seeds seed, seed + 1, ... (more than one: an ensemble whose
  // prediction is the mixture of the members').
  TORCH_ARG(int64_t, members) = 1;
  // Bagging: each member trains on a bootstrap resample of the training rows (same count, drawn
  // with replacement from the member's generator after its initial weights).
  TORCH_ARG(bool, bootstrap) = false;
  TORCH_ARG(inference::NoiseModel, noise) = inference::NoiseModel::homoscedastic;
  // Fixed noise only: the noise precision tau in the target's original units.
  TORCH_ARG(double, noise_precision) = 1.0;
  TORCH_ARG(inference::TrainOptions, training) = {};
  // Fraction of the training rows held out for early stopping (0: none).
  TORCH_ARG(double, validation_fraction) = 0.0;
  // Validation rows given rather than drawn from the inputs (a series' validation period, which
  // comes after the training period in time); validation_fraction must then be 0.
  TORCH_ARG(at::Tensor, validation_inputs) = {};
  TORCH_ARG(at::Tensor, validation_targets) = {};
  // Monte Carlo samples for the validation NLL after each epoch.
  TORCH_ARG(int64_t, validation_samples) = 10;
  TORCH_ARG(std::uint64_t, seed) = 0;
  // MOPED (Krishnan et al. 2020): start a bbb network from this trained deterministic one of the
  // same spec, posterior means at its weights and sigma = moped_delta |w| (nullptr: random weights).
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

struct RegressionFit {
  io::RegressionModel model;
  std::vector<inference::TrainingHistory> histories;  // one per member (one for a sampled posterior)
  // A sampled posterior's diagnostics and warnings, as printable lines (empty otherwise).
  std::string posterior_report;
  // Lines to print before the run's results (a resumed checkpoint's thread-count warning).
  std::string warnings;
};

// Standardises inputs and targets on the training rows, builds each member's network and likelihood,
// trains member m with a generator seeded by seed + m, and returns the model with its histories.
// targets [n], or [n, k] for k targets per row (a direct multi-step forecast): each standardised on
// its own, with its own noise (trained networks only; the posterior methods take one target).
RegressionFit fit_regression(const at::Tensor& inputs, const at::Tensor& targets,
                             const std::vector<std::string>& feature_names, const std::string& target_name,
                             const RegressionFitOptions& options);

// The likelihood of a fit on standardised targets: the noise model, a fixed precision converted
// from original units, the heteroscedastic head's bounds, a starting variance of 0.1. Every
// regression fit (trained, sampled) builds it here.
inference::GaussianLikelihoodOptions regression_likelihood_options(const RegressionFitOptions& options,
                                                                   const data::Standardizer& target_scaler);

// The training settings as a JSON object, as stored in the model file.
std::string training_settings_json(const RegressionFitOptions& options);

}  // namespace credence::workflow
