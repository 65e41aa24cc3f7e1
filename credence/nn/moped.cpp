// MOPED initialisation.
#include "credence/nn/moped.h"

#include "credence/core/gaussian.h"
#include "credence/nn/layer_registry.h"
#include "credence/nn/mean_field_layer.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <stdexcept>

namespace credence::nn {

namespace {

// A layer's spec as a deterministic layer: the Bayesian type's fields without the posterior's.
nlohmann::json as_deterministic(nlohmann::json spec) {
  const auto type = spec.at("type").get<std::string>();
  for (const auto& t : layer_types()) {
    if (t.role == LayerRole::weights && t.bayesian_type == type) spec["type"] = t.name;
  }
  spec.erase("prior");
  spec.erase("estimator");
  spec.erase("initial_sigma");
  return spec;
}

at::Tensor rho_for(const at::Tensor& w, double delta) {
  auto sigma = (w.abs() * delta).clamp_min(kMopedSigmaFloor);
  // rho = log(exp(sigma) - 1), stable for small sigma.
  return at::log(at::expm1(sigma.to(at::kDouble))).to(w.scalar_type());
}

}  // namespace

void initialise_from_deterministic(Network& bayesian, const Network& deterministic, double delta) {
  if (!(delta > 0.0) || !std::isfinite(delta)) throw std::invalid_argument("the MOPED delta must be positive");
  if (deterministic->method() != "deterministic") {
    throw std::invalid_argument("the model to start from must be deterministic (it is " + deterministic->method() + ")");
  }
  if (bayesian->input_shape() != deterministic->input_shape() || bayesian->size() != deterministic->size()) {
    throw std::invalid_argument("the deterministic model's network (input " + to_string(deterministic->input_shape()) + ", " +
                                std::to_string(deterministic->size()) + " layers) is not this one's (input " +
                                to_string(bayesian->input_shape()) + ", " + std::to_string(bayesian->size()) + " layers)");
  }
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < bayesian->size(); ++i) {
    const auto mine = as_deterministic(bayesian->layer(i).spec());
    const auto theirs = deterministic->layer(i).spec();
    if (mine != theirs) {
      throw std::invalid_argument("layers[" + std::to_string(i) + "] differs: the deterministic model has " + theirs.dump() +
                                  ", this network " + mine.dump());
    }
    auto* posterior = dynamic_cast<MeanFieldLayer*>(&bayesian->layer(i));
    if (!posterior) continue;
    const auto parameters = deterministic->layer(i).module().named_parameters(/*recurse=*/false);
    const auto& w = parameters["weight"];
    posterior->weight_mu.copy_(w);
    posterior->weight_rho.copy_(rho_for(w, delta));
    if (posterior->has_bias()) {
      const auto& b = parameters["bias"];
      posterior->bias_mu.copy_(b);
      posterior->bias_rho.copy_(rho_for(b, delta));
    }
  }
  bayesian->refresh_removed_weights();
}

}  // namespace credence::nn
