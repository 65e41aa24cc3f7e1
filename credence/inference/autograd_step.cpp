// AutogradStep: forward, the ELBO, backward and torch::optim::Adam.
#include "credence/inference/autograd_step.h"

namespace credence::inference {

AutogradStep::AutogradStep(nn::Network net, std::shared_ptr<torch::nn::Module> likelihood,
                           NegativeLogLikelihood negative_log_likelihood, double weight_decay)
    : net_(std::move(net)), negative_log_likelihood_(std::move(negative_log_likelihood)) {
  // The rates are placeholders: update() sets each group's rate before every step.
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(net_->parameters(),
                      std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(1e-3).weight_decay(weight_decay)));
  std::vector<at::Tensor> likelihood_parameters;
  if (likelihood) likelihood_parameters = likelihood->parameters();
  if (!likelihood_parameters.empty()) {
    groups.emplace_back(likelihood_parameters, std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(1e-3)));
  }
  optimizer_ = std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(1e-3));
}

StepValues AutogradStep::evaluate(const at::Tensor& x, const at::Tensor& y, double kl_scale) {
  // Dropping the gradients (rather than zeroing them) lets backward write fresh ones instead of
  // zero-filling and then accumulating: two passes fewer over every parameter.
  for (auto& group : optimizer_->param_groups()) {
    for (auto& p : group.params()) p.mutable_grad() = at::Tensor();
  }
  auto outputs = net_->forward(x);
  auto nll = negative_log_likelihood_(outputs, y).mean();
  auto kl = net_->kl();
  loss_ = nll + kl_scale * kl;
  return {nll.item<double>(), kl.item<double>()};
}

void AutogradStep::update(double learning_rate) {
  for (auto& group : optimizer_->param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(learning_rate);
  }
  loss_.backward();
  optimizer_->step();
  loss_ = at::Tensor();
}

}  // namespace credence::inference
