// Cyclical SGLD, pSGLD, SGHMC and pSGHMC.
#include "credence/inference/stochastic_gradient_mcmc.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ostream>
#include <stdexcept>
#include <vector>

namespace credence::inference {

std::string to_string(SgMcmcKind kind) { return sg_mcmc_method_names().at(static_cast<size_t>(kind)); }

const std::vector<std::string>& sg_mcmc_method_names() {
  static const std::vector<std::string> names{"sgld", "psgld", "sghmc", "psghmc"};
  return names;
}

bool is_sg_mcmc_method(const std::string& method) {
  const auto& names = sg_mcmc_method_names();
  return std::find(names.begin(), names.end(), method) != names.end();
}

SgMcmcKind sg_mcmc_kind(const std::string& method) {
  const auto& names = sg_mcmc_method_names();
  const auto found = std::find(names.begin(), names.end(), method);
  if (found == names.end()) {
    throw std::invalid_argument("--method: '" + method + "' is not a stochastic-gradient sampler (sgld, psgld, sghmc, psghmc)");
  }
  return static_cast<SgMcmcKind>(found - names.begin());
}

bool is_preconditioned(SgMcmcKind kind) { return kind == SgMcmcKind::psgld || kind == SgMcmcKind::psghmc; }

// psgld's and psghmc's: the steps with the best test log-likelihood on a grid of 1e-3 to 3e-2 over
// the first 5 splits of five UCI sets (bench/results/uci.md); momentum takes the longer step.
double default_learning_rate(SgMcmcKind kind) {
  switch (kind) {
    case SgMcmcKind::psgld: return 3e-3;
    case SgMcmcKind::psghmc: return 1e-2;
    default: return 0.05;
  }
}

double peak_learning_rate(const SgMcmcOptions& options) {
  return options.learning_rate() > 0.0 ? options.learning_rate() : default_learning_rate(options.kind());
}

void check_sg_mcmc_options(const SgMcmcOptions& o) {
  if (o.cycles() < 1) throw std::invalid_argument("--cycles: expected at least one cycle, got " + std::to_string(o.cycles()));
  if (o.epochs_per_cycle() < 1) throw std::invalid_argument("--epochs-per-cycle: expected at least one epoch");
  if (o.batch_size() < 1) throw std::invalid_argument("--batch-size: expected a positive batch size");
  if (!(o.learning_rate() >= 0.0) || !std::isfinite(o.learning_rate())) throw std::invalid_argument("--lr: expected a positive step");
  if (!(o.exploration_fraction() >= 0.0 && o.exploration_fraction() < 1.0)) {
    throw std::invalid_argument("--exploration-fraction: expected a value in [0, 1)");
  }
  const auto sampling_epochs = o.epochs_per_cycle() - static_cast<int64_t>(std::ceil(o.exploration_fraction() * o.epochs_per_cycle()));
  if (o.samples_per_cycle() < 1 || o.samples_per_cycle() > sampling_epochs) {
    throw std::invalid_argument("--samples-per-cycle: expected 1 to " + std::to_string(sampling_epochs) +
                                " (the epochs of a cycle's sampling phase), got " + std::to_string(o.samples_per_cycle()));
  }
  if (!(o.friction() > 0.0 && o.friction() <= 1.0)) throw std::invalid_argument("--friction: expected a value in (0, 1]");
  if (!(o.rms_decay() >= 0.0 && o.rms_decay() < 1.0)) throw std::invalid_argument("--rms-decay: expected a value in [0, 1)");
  if (!(o.rms_floor() > 0.0) || !std::isfinite(o.rms_floor())) throw std::invalid_argument("--rms-floor: expected a positive floor");
}

double cyclical_step(double peak, int64_t k, int64_t cycle_steps) {
  const double r = static_cast<double>(k % cycle_steps) / static_cast<double>(cycle_steps);
  return 0.5 * peak * (std::cos(M_PI * r) + 1.0);
}

SgMcmcResult run_sg_mcmc(const MinibatchLogDensity& log_density, int64_t rows, const at::Tensor& initial,
                         const SgMcmcOptions& options, at::Generator& generator) {
  check_sg_mcmc_options(options);
  const auto started = std::chrono::steady_clock::now();
  const int64_t batch = std::min(options.batch_size(), rows);
  const int64_t batches = (rows + batch - 1) / batch;
  const int64_t cycle_steps = options.epochs_per_cycle() * batches;
  const double peak = peak_learning_rate(options) / static_cast<double>(rows);
  auto position = initial.to(at::kDouble).clone();
  auto velocity = at::zeros_like(position);
  // psgld, psghmc: the running mean of the squared per-row gradient (gradient / N). It starts at the first
  // gradient's square rather than at zero, whose first steps would be 1 / floor times too long.
  at::Tensor mean_square;
  std::vector<at::Tensor> samples;
  SgMcmcResult result;
  int64_t k = 0;
  for (int64_t cycle = 0; cycle < options.cycles(); ++cycle) {
    for (int64_t epoch = 0; epoch < options.epochs_per_cycle(); ++epoch) {
      // One batch of all rows: the full data, no permutation (undefined rows mean all of them).
      auto order = batches > 1 ? at::randperm(rows, generator, at::TensorOptions().dtype(at::kLong)) : at::Tensor();
      for (int64_t b = 0; b < batches; ++b, ++k) {
        auto index = batches > 1 ? order.slice(0, b * batch, std::min(rows, (b + 1) * batch)) : at::Tensor();
        at::Tensor gradient;
        const double logp = log_density(position, gradient, index);
        ++result.gradient_evaluations;
        if (!std::isfinite(logp) || !at::isfinite(gradient).all().item<bool>()) {
          throw std::runtime_error("--method " + to_string(options.kind()) + ": the log density became non-finite in cycle " +
                                   std::to_string(cycle + 1) + " (lower --lr)");
        }
        const double step = cyclical_step(peak, k, cycle_steps);
        const double phase = static_cast<double>(k % cycle_steps) / static_cast<double>(cycle_steps);
        const bool sampling = phase >= options.exploration_fraction();
        // psgld and psghmc: G = diag(1 / (floor + sqrt(V))), V the running mean of the squared
        // per-row gradient. Their Gamma term (the derivative of G) is left out, as Li et al. and
        // Springenberg et al. do; that is exact only while V averages over more steps than the
        // chain takes to mix (the tests measure the bias when it does not). The updates run in
        // place but for G itself: each temporary costs a pass over the weights, which on a small
        // network is a good part of the step.
        at::Tensor preconditioner;
        if (is_preconditioned(options.kind())) {
          const double per_row_square = 1.0 / (static_cast<double>(rows) * static_cast<double>(rows));
          if (!mean_square.defined()) {
            mean_square = gradient * gradient * per_row_square;
          } else {
            mean_square.mul_(options.rms_decay()).addcmul_(gradient, gradient, (1.0 - options.rms_decay()) * per_row_square);
          }
          preconditioner = mean_square.sqrt().add_(options.rms_floor()).reciprocal_();
        }
        auto noise = [&] { return at::normal(0.0, 1.0, position.sizes(), generator, position.options()); };
        // eta = alpha * step: the terminal velocity eta / alpha * gradient moves as far per step as
        // SGLD's drift, so --lr means the same for SGHMC as for SGLD (and for pSGHMC as for pSGLD).
        const double alpha = options.friction();
        const double eta = alpha * step;
        switch (options.kind()) {
          case SgMcmcKind::sgld:
            position.add_(gradient, step);
            if (sampling) position.add_(noise(), std::sqrt(2.0 * step));
            break;
          case SgMcmcKind::psgld:
            // Li et al.'s update: drift step G grad, noise N(0, 2 step G).
            position.addcmul_(preconditioner, gradient, step);
            if (sampling) position.addcmul_(preconditioner.sqrt_(), noise(), std::sqrt(2.0 * step));
            break;
          case SgMcmcKind::sghmc:
            velocity.mul_(1.0 - alpha).add_(gradient, eta);
            if (sampling) velocity.add_(noise(), std::sqrt(2.0 * alpha * eta));
            position.add_(velocity);
            break;
          case SgMcmcKind::psghmc:
            // SGHMC with the inverse mass G: v = (1 - alpha) v + eta G grad + N(0, 2 alpha eta G),
            // the friction alpha the same in every coordinate.
            velocity.mul_(1.0 - alpha).addcmul_(preconditioner, gradient, eta);
            if (sampling) velocity.addcmul_(preconditioner.sqrt_(), noise(), std::sqrt(2.0 * alpha * eta));
            position.add_(velocity);
            break;
        }
      }
      if (epoch >= options.epochs_per_cycle() - options.samples_per_cycle()) samples.push_back(position.clone());
    }
    if (options.progress()) *options.progress() << "  " << to_string(options.kind()) << " cycle " << (cycle + 1) << "/" << options.cycles() << "\n";
  }
  result.samples = at::stack(samples);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace credence::inference
