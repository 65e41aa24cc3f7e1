// Trainer: the epoch loop, divergence checks, early stopping and the progress bar.
#include "credence/inference/trainer.h"

#include "credence/inference/elbo.h"

#include <torch/optim/adam.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <ostream>
#include <sstream>

namespace credence::inference {

namespace {

using Clock = std::chrono::steady_clock;

// Copies of every parameter and buffer, to restore the best epoch.
struct Snapshot {
  std::vector<at::Tensor> tensors;
};

std::vector<at::Tensor> state_tensors(torch::nn::Module& module) {
  std::vector<at::Tensor> out;
  for (auto& p : module.parameters()) out.push_back(p);
  for (auto& b : module.buffers()) out.push_back(b);
  return out;
}

Snapshot take_snapshot(const std::vector<at::Tensor>& tensors) {
  Snapshot s;
  for (auto& t : tensors) s.tensors.push_back(t.defined() ? t.detach().clone() : at::Tensor());
  return s;
}

void restore_snapshot(const Snapshot& snapshot, std::vector<at::Tensor>& tensors) {
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].defined()) tensors[i].copy_(snapshot.tensors[i]);
  }
}

std::string format_duration(double seconds) {
  long s = static_cast<long>(std::lround(seconds));
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%ld:%02ld", s / 60, s % 60);
  return buffer;
}

void draw_progress(std::ostream& out, const EpochRecord& record, int64_t total_epochs, double elapsed) {
  constexpr int kWidth = 24;
  const double fraction = static_cast<double>(record.epoch) / static_cast<double>(total_epochs);
  const int filled = static_cast<int>(fraction * kWidth);
  std::ostringstream line;
  line << "\repoch " << record.epoch << "/" << total_epochs << " [" << std::string(filled, '=')
       << std::string(kWidth - filled, ' ') << "] loss " << record.loss << " kl " << record.kl;
  if (!std::isnan(record.validation_nll)) line << " val-nll " << record.validation_nll;
  const double remaining = elapsed / fraction - elapsed;
  line << " left " << format_duration(remaining) << "   ";
  out << line.str() << std::flush;
}

// Returns the value so the caller does not read the scalar out of the tensor a second time.
double check_finite(const at::Tensor& value, const char* term, int64_t epoch, int64_t batch) {
  const double v = value.item<double>();
  if (!std::isfinite(v)) {
    std::ostringstream message;
    message << "training diverged at epoch " << epoch << ", batch " << batch << ": the " << term << " term is "
            << (std::isnan(v) ? "NaN" : "infinite") << " (try a smaller --lr)";
    throw TrainingDiverged(message.str());
  }
  return v;
}

}  // namespace

TrainingHistory train(nn::Mlp& net, const std::shared_ptr<torch::nn::Module>& likelihood,
                      const NegativeLogLikelihood& negative_log_likelihood, const at::Tensor& x, const at::Tensor& y,
                      const TrainOptions& options, at::Generator& generator, const ValidationScore& validation_score) {
  if (options.epochs() <= 0) throw std::invalid_argument("train: epochs must be positive");
  if (options.batch_size() <= 0) throw std::invalid_argument("train: batch size must be positive");
  if (!(options.learning_rate() > 0.0)) throw std::invalid_argument("train: learning rate must be positive");
  if (x.size(0) != y.size(0)) throw std::invalid_argument("train: inputs and targets have different row counts");
  const int64_t n = x.size(0);
  if (n == 0) throw std::invalid_argument("train: no training rows");
  const int64_t batch_size = std::min(options.batch_size(), n);
  const int64_t num_batches = (n + batch_size - 1) / batch_size;

  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(net->parameters(),
                      std::make_unique<torch::optim::AdamOptions>(
                          torch::optim::AdamOptions(options.learning_rate()).weight_decay(options.weight_decay())));
  std::vector<at::Tensor> likelihood_parameters;
  if (likelihood) likelihood_parameters = likelihood->parameters();
  if (!likelihood_parameters.empty()) {
    groups.emplace_back(likelihood_parameters,
                        std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(options.learning_rate())));
  }
  torch::optim::Adam optimizer(groups, torch::optim::AdamOptions(options.learning_rate()));

  auto tracked = state_tensors(*net);
  if (likelihood) {
    auto extra = state_tensors(*likelihood);
    tracked.insert(tracked.end(), extra.begin(), extra.end());
  }
  Snapshot best;
  double best_score = std::numeric_limits<double>::infinity();
  int64_t epochs_since_best = 0;

  TrainingHistory history;
  const auto start = Clock::now();
  net->train();
  for (int64_t epoch = 1; epoch <= options.epochs(); ++epoch) {
    auto order = at::randperm(n, generator, at::TensorOptions().dtype(at::kLong).device(x.device()));
    EpochRecord record;
    record.epoch = epoch;
    for (int64_t b = 0; b < num_batches; ++b) {
      auto index = order.slice(0, b * batch_size, std::min(n, (b + 1) * batch_size));
      auto xb = x.index_select(0, index);
      auto yb = y.index_select(0, index);
      // Dropping the gradients (rather than zeroing them) lets backward write fresh ones
      // instead of zero-filling and then accumulating: two passes fewer over every parameter.
      for (auto& group : optimizer.param_groups()) {
        for (auto& p : group.params()) p.mutable_grad() = at::Tensor();
      }
      auto outputs = net->forward(xb);
      auto nll = negative_log_likelihood(outputs, yb).mean();
      auto kl = net->kl();
      auto terms = elbo_loss(nll, kl, kl_weight(options.kl_weighting(), b, num_batches), num_batches, n);
      const double nll_value = check_finite(terms.negative_log_likelihood, "negative log-likelihood", epoch, b + 1);
      const double kl_value = check_finite(terms.kl, "KL", epoch, b + 1);
      terms.loss.backward();
      optimizer.step();
      // The loss is nll + scale * kl: derived from the two scalars already read, not read again.
      const double kl_scale = kl_weight(options.kl_weighting(), b, num_batches) * num_batches / static_cast<double>(n);
      record.loss += (nll_value + kl_scale * kl_value) / num_batches;
      record.negative_log_likelihood += nll_value / num_batches;
      record.kl += kl_value / num_batches;
    }
    record.validation_nll = std::numeric_limits<double>::quiet_NaN();
    if (validation_score) {
      net->eval();
      {
        at::NoGradGuard no_grad;
        record.validation_nll = validation_score();
      }
      net->train();
      if (!std::isfinite(record.validation_nll)) {
        throw TrainingDiverged("training diverged at epoch " + std::to_string(epoch) +
                               ": the validation negative log-likelihood is not finite");
      }
      if (record.validation_nll < best_score) {
        best_score = record.validation_nll;
        if (options.restore_best()) best = take_snapshot(tracked);
        history.best_epoch = epoch;
        epochs_since_best = 0;
      } else {
        ++epochs_since_best;
      }
    }
    history.epochs.push_back(record);
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (options.progress()) draw_progress(*options.progress(), record, options.epochs(), elapsed);
    if (options.patience() > 0 && epochs_since_best >= options.patience()) {
      history.stopped_early = true;
      break;
    }
  }
  if (options.progress()) *options.progress() << "\n";
  if (validation_score && options.restore_best() && !best.tensors.empty()) restore_snapshot(best, tracked);
  if (!options.restore_best()) history.best_epoch = static_cast<int64_t>(history.epochs.size());
  net->eval();
  history.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return history;
}

TrainingHistory train(nn::Mlp& net, GaussianLikelihood& likelihood, const at::Tensor& x, const at::Tensor& y,
                      const TrainOptions& options, at::Generator& generator, const ValidationScore& validation_score) {
  auto module = likelihood.ptr();
  NegativeLogLikelihood nll = [module](const at::Tensor& outputs, const at::Tensor& targets) {
    return module->negative_log_likelihood(outputs, targets);
  };
  return train(net, module, nll, x, y, options, generator, validation_score);
}

}  // namespace credence::inference
