// Trainer: the epoch loop, divergence checks, early stopping and the progress bar, around an
// autograd or a fused minibatch step.
#include "credence/inference/trainer.h"

#include "credence/core/rng.h"

#include "credence/inference/autograd_step.h"
#include "credence/inference/categorical_likelihood.h"
#include "credence/inference/elbo.h"
#include "credence/inference/fused_mlp_step.h"

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

// The time left at the pace of the epochs this run has trained (a resumed run started at first_epoch).
double seconds_left(const EpochRecord& record, int64_t first_epoch, int64_t total_epochs, double elapsed) {
  return elapsed * static_cast<double>(total_epochs - record.epoch) / static_cast<double>(record.epoch - first_epoch + 1);
}

void draw_progress(std::ostream& out, const EpochRecord& record, int64_t first_epoch, int64_t total_epochs, double elapsed) {
  constexpr int kWidth = 24;
  const double fraction = static_cast<double>(record.epoch) / static_cast<double>(total_epochs);
  const int filled = static_cast<int>(fraction * kWidth);
  std::ostringstream line;
  line << "\repoch " << record.epoch << "/" << total_epochs << " [" << std::string(filled, '=')
       << std::string(kWidth - filled, ' ') << "] loss " << record.loss << " kl " << record.kl;
  if (!std::isnan(record.validation_nll)) line << " val-nll " << record.validation_nll;
  line << " left " << format_duration(seconds_left(record, first_epoch, total_epochs, elapsed)) << "   ";
  out << line.str() << std::flush;
}

// The same figures as the bar, one line each, for a log file.
void write_progress_line(std::ostream& out, const EpochRecord& record, int64_t first_epoch, int64_t total_epochs,
                         double elapsed) {
  out << "epoch " << record.epoch << "/" << total_epochs << " loss " << record.loss << " kl " << record.kl;
  if (!std::isnan(record.validation_nll)) out << " val-nll " << record.validation_nll;
  out << " elapsed " << format_duration(elapsed) << " left "
      << format_duration(seconds_left(record, first_epoch, total_epochs, elapsed)) << "\n"
      << std::flush;
}

double check_finite(double v, const char* term, int64_t epoch, int64_t batch) {
  if (!std::isfinite(v)) {
    std::ostringstream message;
    message << "training diverged at epoch " << epoch << ", batch " << batch << ": the " << term << " term is "
            << (std::isnan(v) ? "NaN" : "infinite") << " (try a smaller --lr)";
    throw TrainingDiverged(message.str());
  }
  return v;
}

// A finite loss can still be a diverged one: the trainer sees standardised targets (or class
// labels), where a model that predicts nothing has a loss of order 1 per row, so a mean above
// kAbsurdLoss per row is a fit that has run away (a learning rate far too large), not a fit.
constexpr double kAbsurdLoss = 1e8;

void check_plausible(double negative_log_likelihood, int64_t epoch) {
  if (negative_log_likelihood > kAbsurdLoss) {
    std::ostringstream message;
    message << "training diverged at epoch " << epoch << ": the negative log-likelihood is " << negative_log_likelihood
            << " per row, above " << kAbsurdLoss << " on standardised data (try a smaller --lr)";
    throw TrainingDiverged(message.str());
  }
}

// Puts a checkpoint's state back: parameters, the best epoch's copy, the optimiser and the
// generator. Pruned weights are not checkpointed (the prune command does not resume), so the
// fused step, built before this on the same parameters' storage, sees the restored values.
void restore_state(const TrainingState& state, std::vector<at::Tensor>& tracked, Snapshot& best, MinibatchStep& step,
                   at::Generator& generator) {
  auto check = [&](const std::vector<at::Tensor>& saved, const char* what) {
    bool fits = saved.size() == tracked.size();
    for (size_t i = 0; fits && i < saved.size(); ++i) {
      fits = saved[i].defined() == tracked[i].defined() && (!saved[i].defined() || saved[i].sizes() == tracked[i].sizes());
    }
    if (!fits) throw std::invalid_argument(std::string("the checkpoint's ") + what + " do not fit this network");
  };
  check(state.tensors, "parameters");
  if (!state.best_tensors.empty()) check(state.best_tensors, "best-epoch parameters");
  {
    at::NoGradGuard no_grad;
    for (size_t i = 0; i < tracked.size(); ++i) {
      if (tracked[i].defined()) tracked[i].copy_(state.tensors[i]);
    }
  }
  best.tensors = state.best_tensors;
  step.load_state(state.optimizer);
  generator.set_state(state.generator_state);
}

TrainingState capture_state(const TrainingHistory& history, double best_score, int64_t epochs_since_best,
                            const std::vector<at::Tensor>& tracked, const Snapshot& best, const MinibatchStep& step,
                            const at::Generator& generator) {
  TrainingState state;
  state.epochs_done = static_cast<int64_t>(history.epochs.size());
  state.records = history.epochs;
  state.best_score = best_score;
  state.best_epoch = history.best_epoch;
  state.epochs_since_best = epochs_since_best;
  state.tensors = take_snapshot(tracked).tensors;
  state.best_tensors = best.tensors;
  state.optimizer = step.state();
  state.generator_state = generator.get_state();
  return state;
}

// The replicas of a data-parallel training; null for one process.
ReplicaGroup* data_parallel(const TrainOptions& options) {
  const auto& replicas = options.replicas();
  return replicas && replicas->size() > 1 ? replicas.get() : nullptr;
}

// Every replica must see the same rows: the sums of n and n^2 over W replicas are W n and W n^2
// exactly when every replica's n is the same.
void check_same_rows(ReplicaGroup& replicas, int64_t n, int64_t batch_size, int64_t epochs) {
  const double v[] = {static_cast<double>(n), static_cast<double>(batch_size), static_cast<double>(epochs)};
  const auto sums = replicas.sum({v[0], v[0] * v[0], v[1], v[1] * v[1], v[2], v[2] * v[2]});
  const double w = replicas.size();
  for (int i = 0; i < 3; ++i) {
    if (sums[2 * i] != w * v[i] || sums[2 * i + 1] != w * v[i] * v[i]) {
      static const char* what[] = {"training rows", "the batch size", "the epochs"};
      throw std::invalid_argument(std::string("data-parallel training: the replicas differ in ") + what[i] +
                                  " (replica " + std::to_string(replicas.rank()) + " has " + std::to_string(static_cast<int64_t>(v[i])) +
                                  "); start every rank with the same data and options");
    }
  }
}

// The epoch loop around one minibatch step; `likelihood` (may be null) holds parameters to snapshot.
TrainingHistory run_epochs(nn::Network& net, const std::shared_ptr<torch::nn::Module>& likelihood, MinibatchStep& step,
                           const at::Tensor& x, const at::Tensor& y, const TrainOptions& options, at::Generator& generator,
                           const ValidationScore& validation_score) {
  const int64_t n = x.size(0);
  const int64_t batch_size = std::min(options.batch_size(), n);
  const int64_t num_batches = (n + batch_size - 1) / batch_size;

  auto tracked = training_tensors(net, likelihood.get());
  Snapshot best;
  double best_score = std::numeric_limits<double>::infinity();
  int64_t epochs_since_best = 0;

  TrainingHistory history;
  int64_t first_epoch = 1;
  const auto& checkpoints = options.checkpoints();
  if (checkpoints.resume) {
    const auto& state = *checkpoints.resume;
    if (state.epochs_done < 0 || state.epochs_done >= options.epochs() ||
        static_cast<int64_t>(state.records.size()) != state.epochs_done) {
      throw std::invalid_argument("the checkpoint is at epoch " + std::to_string(state.epochs_done) + " of a training of " +
                                  std::to_string(options.epochs()) + " epochs");
    }
    restore_state(state, tracked, best, step, generator);
    best_score = state.best_score;
    epochs_since_best = state.epochs_since_best;
    history.best_epoch = state.best_epoch;
    history.epochs = state.records;
    first_epoch = state.epochs_done + 1;
  }
  ReplicaGroup* replicas = data_parallel(options);
  if (replicas) check_same_rows(*replicas, n, batch_size, options.epochs());
  const auto start = Clock::now();
  net->train();
  for (int64_t epoch = first_epoch; epoch <= options.epochs(); ++epoch) {
    const double learning_rate =
        learning_rate_at(options.learning_rate_schedule(), options.learning_rate(), epoch, options.epochs());
    auto order = at::randperm(n, generator, at::TensorOptions().dtype(at::kLong).device(x.device()));
    EpochRecord record;
    record.epoch = epoch;
    for (int64_t b = 0; b < num_batches; ++b) {
      const int64_t begin = b * batch_size, rows = std::min(n, (b + 1) * batch_size) - begin;
      const double kl_scale = elbo_kl_scale(kl_weight(options.kl_weighting(), b, num_batches), num_batches, n);
      StepValues values;
      if (!replicas) {
        auto index = order.slice(0, begin, begin + rows);
        values = step.evaluate(x.index_select(0, index), y.index_select(0, index), kl_scale);
      } else {
        // This replica's even share of the minibatch; the sums make the whole minibatch's step.
        const int64_t w = replicas->size(), r = replicas->rank();
        const int64_t first = rows * r / w, last = rows * (r + 1) / w;
        auto index = order.slice(0, begin + first, begin + last);
        values = step.evaluate(x.index_select(0, index), y.index_select(0, index), kl_scale, BatchPart{first, rows, replicas});
        const auto sums = replicas->sum({values.negative_log_likelihood, values.kl});
        values = {sums[0], sums[1]};
      }
      check_finite(values.negative_log_likelihood, "negative log-likelihood", epoch, b + 1);
      check_finite(values.kl, "KL", epoch, b + 1);
      step.update(learning_rate);
      ++history.steps;
      record.loss += (values.negative_log_likelihood + kl_scale * values.kl) / num_batches;
      record.negative_log_likelihood += values.negative_log_likelihood / num_batches;
      record.kl += values.kl / num_batches;
    }
    check_plausible(record.negative_log_likelihood, epoch);
    record.validation_nll = std::numeric_limits<double>::quiet_NaN();
    if (validation_score) {
      net->eval();
      {
        at::NoGradGuard no_grad;
        record.validation_nll = validation_score();
        // The replicas' mean, so that all of them keep and stop at the same epoch.
        if (replicas) record.validation_nll = replicas->sum(std::vector<double>{record.validation_nll})[0] / replicas->size();
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
    if (options.progress()) {
      if (!options.progress_as_lines()) {
        draw_progress(*options.progress(), record, first_epoch, options.epochs(), elapsed);
      } else if (epoch == options.epochs() || epoch % std::max<int64_t>(1, options.epochs() / 10) == 0) {
        write_progress_line(*options.progress(), record, first_epoch, options.epochs(), elapsed);
      }
    }
    if (options.patience() > 0 && epochs_since_best >= options.patience()) {
      history.stopped_early = true;
      break;
    }
    if (checkpoints.every > 0 && checkpoints.save && epoch % checkpoints.every == 0 && epoch < options.epochs()) {
      checkpoints.save(capture_state(history, best_score, epochs_since_best, tracked, best, step, generator));
    }
  }
  if (options.progress() && !options.progress_as_lines()) *options.progress() << "\n";
  if (validation_score && options.restore_best() && !best.tensors.empty()) restore_snapshot(best, tracked);
  if (!options.restore_best()) history.best_epoch = static_cast<int64_t>(history.epochs.size());
  net->eval();
  history.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return history;
}

void check_arguments(const at::Tensor& x, const at::Tensor& y, const TrainOptions& options) {
  if (options.epochs() <= 0) throw std::invalid_argument("train: epochs must be positive");
  if (options.batch_size() <= 0) throw std::invalid_argument("train: batch size must be positive");
  if (!(options.learning_rate() > 0.0)) throw std::invalid_argument("train: learning rate must be positive");
  if (x.size(0) != y.size(0)) throw std::invalid_argument("train: inputs and targets have different row counts");
  if (x.size(0) == 0) throw std::invalid_argument("train: no training rows");
}

// The fused step applies to CPU float inputs and a network it supports.
bool use_fused_step(const nn::Network& net, const at::Tensor& x, const TrainOptions& options) {
  return options.fused() && x.device().is_cpu() && x.scalar_type() == at::kFloat &&
         fused_step_unsupported_reason(net).empty();
}

// The autograd step under data-parallel training: the network's layers draw their noise and masks
// from a stream of this replica's own (the shuffle stays on `generator`, which every replica then
// uses alike), and get their generator back afterwards.
class ReplicaNoise {
 public:
  ReplicaNoise(nn::Network& net, const TrainOptions& options, at::Generator& generator) : net_(net) {
    ReplicaGroup* replicas = data_parallel(options);
    if (!replicas) return;
    saved_ = net_->generator();
    // A draw from a copy of the generator, the same on every replica, then a seed per replica; the
    // generator itself goes on as one process's would (the shuffles stay the same).
    // (Generator::clone() of LibTorch 1.13 leaks its copy; a state copy does not.)
    auto copy = core::make_generator(0);
    copy.set_state(generator.get_state());
    const auto base = static_cast<uint64_t>(at::randint(std::numeric_limits<int64_t>::max(), {1}, copy,
                                                        at::TensorOptions().dtype(at::kLong)).item<int64_t>());
    at::Generator own = core::make_generator(base + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(replicas->rank() + 1));
    net_->set_generator(own);
    active_ = true;
  }
  ~ReplicaNoise() {
    if (active_) net_->set_generator(saved_);
  }
  ReplicaNoise(const ReplicaNoise&) = delete;
  ReplicaNoise& operator=(const ReplicaNoise&) = delete;

 private:
  nn::Network& net_;
  c10::optional<at::Generator> saved_;
  bool active_ = false;
};

void check_replicas_apply(const at::Tensor& x, const TrainOptions& options) {
  if (data_parallel(options) && !x.device().is_cpu()) {
    throw std::invalid_argument("data-parallel training runs on the CPU (Gloo); the data is on " + x.device().str());
  }
}

TrainingHistory train_with_autograd(nn::Network& net, const std::shared_ptr<torch::nn::Module>& likelihood,
                                    const NegativeLogLikelihood& negative_log_likelihood, const at::Tensor& x,
                                    const at::Tensor& y, const TrainOptions& options, at::Generator& generator,
                                    const ValidationScore& validation_score) {
  ReplicaNoise noise(net, options, generator);
  AutogradStep step(net, likelihood, negative_log_likelihood, options.weight_decay());
  return run_epochs(net, likelihood, step, x, y, options, generator, validation_score);
}

}  // namespace

std::vector<at::Tensor> training_tensors(nn::Network& net, torch::nn::Module* likelihood) {
  std::vector<at::Tensor> out;
  for (auto* module : {static_cast<torch::nn::Module*>(net.get()), likelihood}) {
    if (!module) continue;
    for (auto& p : module->parameters()) out.push_back(p);
    for (auto& b : module->buffers()) out.push_back(b);
  }
  return out;
}

TrainingHistory train(nn::Network& net, const std::shared_ptr<torch::nn::Module>& likelihood,
                      const NegativeLogLikelihood& negative_log_likelihood, const at::Tensor& x, const at::Tensor& y,
                      const TrainOptions& options, at::Generator& generator, const ValidationScore& validation_score) {
  check_arguments(x, y, options);
  check_replicas_apply(x, options);
  return train_with_autograd(net, likelihood, negative_log_likelihood, x, y, options, generator, validation_score);
}

TrainingHistory train(nn::Network& net, GaussianLikelihood& likelihood, const at::Tensor& x, const at::Tensor& y,
                      const TrainOptions& options, at::Generator& generator, const ValidationScore& validation_score) {
  check_arguments(x, y, options);
  check_replicas_apply(x, options);
  auto module = likelihood.ptr();
  // The fused step's Gaussian loss is written for one target per row.
  if (likelihood->options.targets() == 1 && use_fused_step(net, x, options)) {
    FusedMlpStep step(net, likelihood, FusedLoss::gaussian, options.weight_decay(), generator);
    return run_epochs(net, module, step, x, y, options, generator, validation_score);
  }
  NegativeLogLikelihood nll = [module](const at::Tensor& outputs, const at::Tensor& targets) {
    return module->negative_log_likelihood(outputs, targets);
  };
  return train_with_autograd(net, module, nll, x, y, options, generator, validation_score);
}

TrainingHistory train_classifier(nn::Network& net, const at::Tensor& x, const at::Tensor& labels, const TrainOptions& options,
                                 at::Generator& generator, const ValidationScore& validation_score) {
  check_arguments(x, labels, options);
  check_replicas_apply(x, options);
  if (use_fused_step(net, x, options)) {
    FusedMlpStep step(net, nullptr, FusedLoss::categorical, options.weight_decay(), generator);
    return run_epochs(net, nullptr, step, x, labels, options, generator, validation_score);
  }
  return train_with_autograd(net, nullptr, categorical_negative_log_likelihood, x, labels, options, generator,
                             validation_score);
}

}  // namespace credence::inference
