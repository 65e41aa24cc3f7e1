// The shared minibatch loop of the auto-encoder and the VAE.
#include "credence/generative/bound_training.h"

#include "credence/inference/trainer.h"

#include <torch/optim/adam.h>

#include <chrono>
#include <cmath>
#include <ostream>
#include <stdexcept>

namespace credence::generative {

at::Tensor in_network_dtype(const nn::Network& network, const at::Tensor& rows) {
  const auto parameters = network->parameters();
  return parameters.empty() ? rows : rows.to(parameters.front().scalar_type());
}

BoundTrainingHistory maximise_bound(std::vector<nn::Network> networks, const at::Tensor& rows_in,
                                    const BoundTrainOptions& options, at::Generator& generator, const BoundObjective& objective,
                                    const std::string& bound_name) {
  if (options.epochs < 1) throw std::invalid_argument("--epochs: expected a positive number of epochs");
  if (options.batch_size < 1) throw std::invalid_argument("--batch-size: expected a positive batch size");
  if (!(options.learning_rate > 0.0) || !std::isfinite(options.learning_rate)) {
    throw std::invalid_argument("--lr: expected a positive learning rate");
  }
  if (networks.empty()) throw std::invalid_argument("maximise_bound: no networks");
  if (rows_in.dim() < 2 || rows_in.size(0) == 0) throw std::invalid_argument("maximise_bound: no training rows");
  const auto started = std::chrono::steady_clock::now();
  const auto rows = in_network_dtype(networks.front(), rows_in);
  std::vector<at::Tensor> parameters;
  for (auto& net : networks) {
    for (const auto& p : net->parameters()) parameters.push_back(p);
    net->train();
  }
  torch::optim::Adam adam(parameters, torch::optim::AdamOptions(options.learning_rate));
  const int64_t n = rows.size(0), batch = std::min(options.batch_size, n), batches = (n + batch - 1) / batch;
  BoundTrainingHistory history;
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    const double rate = inference::learning_rate_at(options.schedule, options.learning_rate, epoch, options.epochs);
    for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(rate);
    auto order = at::randperm(n, generator, at::TensorOptions().dtype(at::kLong));
    double bound_sum = 0.0, kl_sum = 0.0;
    bool has_kl = false;
    for (int64_t b = 0; b < batches; ++b) {
      auto x = rows.index_select(0, order.slice(0, b * batch, std::min(n, (b + 1) * batch)));
      if (options.dynamic_binarisation) x = at::bernoulli(x.clamp(0.0, 1.0), generator);
      adam.zero_grad();
      const auto terms = objective(x);
      const auto loss = -terms.value.mean();
      const double value = -loss.item<double>();
      if (!std::isfinite(value)) {
        throw inference::TrainingDiverged("training diverged at epoch " + std::to_string(epoch) + ", batch " +
                                          std::to_string(b + 1) + ": the " + bound_name + " is " +
                                          (std::isnan(value) ? "NaN" : "infinite") + " (try a smaller --lr)");
      }
      loss.backward();
      adam.step();
      bound_sum += value * static_cast<double>(x.size(0));
      if (terms.kl.defined()) {
        has_kl = true;
        kl_sum += terms.kl.detach().sum().item<double>();
      }
    }
    history.bound.push_back(bound_sum / static_cast<double>(n));
    if (has_kl) history.kl.push_back(kl_sum / static_cast<double>(n));
    if (options.progress && (epoch == options.epochs || epoch % std::max<int64_t>(1, options.epochs / 10) == 0)) {
      *options.progress << "epoch " << epoch << "/" << options.epochs << " " << bound_name << " " << history.bound.back();
      if (has_kl) *options.progress << " kl " << history.kl.back();
      *options.progress << "\n" << std::flush;
    }
  }
  for (auto& net : networks) net->eval();
  history.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return history;
}

}  // namespace credence::generative
