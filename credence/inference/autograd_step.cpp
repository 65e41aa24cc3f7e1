// AutogradStep: forward, the ELBO, backward and torch::optim::Adam.
#include "credence/inference/autograd_step.h"

#include <stdexcept>

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

StepValues AutogradStep::evaluate(const at::Tensor& x, const at::Tensor& y, double kl_scale, const BatchPart& part) {
  // Dropping the gradients (rather than zeroing them) lets backward write fresh ones instead of
  // zero-filling and then accumulating: two passes fewer over every parameter.
  for (auto& group : optimizer_->param_groups()) {
    for (auto& p : group.params()) p.mutable_grad() = at::Tensor();
  }
  const int64_t rows = x.size(0);
  const double total = static_cast<double>(part.total > 0 ? part.total : rows);
  const double kl_share = 1.0 / static_cast<double>(part.replicas());
  // Per row: the sum over rows of one row's negative log-likelihood (summed over its targets),
  // divided by the minibatch's rows. A replica whose part of a short last minibatch is empty adds
  // its share of the KL alone. The KL comes after the forward pass: a layer may estimate it from
  // the weight sample that pass drew.
  at::Tensor nll;
  if (rows > 0) nll = negative_log_likelihood_(net_->forward(x), y).sum() / total;
  auto kl = net_->kl();
  if (rows == 0) nll = at::zeros({}, kl.options());
  const auto loss = nll + (kl_scale * kl_share) * kl;
  if (loss.requires_grad()) loss.backward();
  if (part.group) part.group->sum(all_gradients());
  return {nll.item<double>(), kl_share * kl.item<double>()};
}

std::vector<at::Tensor> AutogradStep::all_gradients() {
  std::vector<at::Tensor> out;
  for (auto& group : optimizer_->param_groups()) {
    for (auto& p : group.params()) {
      if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
      out.push_back(p.grad());
    }
  }
  return out;
}

void AutogradStep::update(double learning_rate) {
  for (auto& group : optimizer_->param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(learning_rate);
  }
  optimizer_->step();
}

namespace {

// torch::optim keys a parameter's state by its implementation's address.
std::string state_key(const at::Tensor& parameter) { return c10::guts::to_string(parameter.unsafeGetTensorImpl()); }

}  // namespace

std::vector<at::Tensor> AutogradStep::state() const {
  std::vector<at::Tensor> out;
  for (const auto& group : optimizer_->param_groups()) {
    for (const auto& p : group.params()) {
      const auto found = optimizer_->state().find(state_key(p));
      if (found == optimizer_->state().end()) {
        out.insert(out.end(), 3, at::Tensor());
        continue;
      }
      const auto& adam = static_cast<const torch::optim::AdamParamState&>(*found->second);
      out.push_back(at::tensor(std::vector<int64_t>{adam.step()}, at::TensorOptions().dtype(at::kLong)));
      out.push_back(adam.exp_avg().clone());
      out.push_back(adam.exp_avg_sq().clone());
    }
  }
  return out;
}

void AutogradStep::load_state(const std::vector<at::Tensor>& state) {
  size_t next = 0;
  auto& states = optimizer_->state();
  for (const auto& group : optimizer_->param_groups()) {
    for (const auto& p : group.params()) {
      if (next + 3 > state.size()) throw std::invalid_argument("the saved optimiser state does not fit this network");
      const auto &step = state[next], &first = state[next + 1], &second = state[next + 2];
      next += 3;
      if (!step.defined()) {
        states.erase(state_key(p));
        continue;
      }
      if (!first.defined() || !second.defined() || first.sizes() != p.sizes() || second.sizes() != p.sizes()) {
        throw std::invalid_argument("the saved optimiser state does not fit this network");
      }
      auto adam = std::make_unique<torch::optim::AdamParamState>();
      adam->step(step.item<int64_t>());
      adam->exp_avg(first.to(p.options()).clone());
      adam->exp_avg_sq(second.to(p.options()).clone());
      states[state_key(p)] = std::move(adam);
    }
  }
  if (next != state.size()) throw std::invalid_argument("the saved optimiser state does not fit this network");
}

}  // namespace credence::inference
