// BayesRecurrent: LSTM and GRU layers with a diagonal Gaussian posterior over every gate weight and
// bias (spec types "bayes_lstm" and "bayes_gru"; Fortunato et al. 2017, "Bayesian Recurrent Neural
// Networks"). One weight sample is drawn per pass and used at every time step of every sequence of
// the batch (reparameterization through time); the KL is counted once per pass, as for dense layers.
// Two estimators: "reparam" (the default: one sample shared by the minibatch) and "flipout" (that
// sample's perturbation decorrelated per sequence by random signs, the same signs at every step).
// Local reparameterization would draw new weights for every step, so a recurrent layer refuses it.
#pragma once

#include "credence/nn/mean_field_layer.h"
#include "credence/nn/recurrent_cell.h"

#include <torch/nn/pimpl.h>

namespace credence::nn {

class SpecFields;

class BayesRecurrentImpl : public LayerModule<BayesRecurrentImpl, MeanFieldLayer> {
 public:
  BayesRecurrentImpl(const RecurrentOptions& options, const MeanFieldOptions& mean_field);
  // From a spec's fields ("hidden_size", "output", "bias", "prior", "estimator", "initial_sigma").
  static std::shared_ptr<Layer> from_spec(SpecFields& fields, const Shape& input, CellKind kind);

  void reset() override;

  std::string type() const override { return options.kind == CellKind::lstm ? "bayes_lstm" : "bayes_gru"; }
  nlohmann::json spec() const override;
  Shape output_shape(const Shape& input) const override { return recurrent_output_shape(options, input); }
  MeanFieldOptions mean_field_options() const override { return mean_field_; }
  // S weight samples (held, or drawn for this pass), each run over its sequences in one recurrence.
  SampleBatch forward_samples(const SampleBatch& x) override;
  using MeanFieldLayer::hold_weight_samples;
  // Always weight samples: a recurrence reuses its weights at every step, so sampling them is cheap.
  void hold_weight_samples(int64_t samples, int64_t total_rows, const Shape& input, bool shared_input) override;
  int64_t working_values(const Shape& input) const override { return recurrent_working_values(options, input); }

  RecurrentOptions options;

 protected:
  at::Tensor apply(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const override;
  at::Tensor apply_sampled_weights(const SampleBatch& x, const at::Tensor& weights, const at::Tensor& biases) const override;
  at::Tensor apply_flipout(const at::Tensor& x, const at::Tensor& mu, const at::Tensor& b_mu, const at::Tensor& delta,
                           const at::Tensor& bias_delta) const override;
  std::vector<int64_t> input_sign_sizes(const at::Tensor& x) const override;
  std::vector<int64_t> output_sign_sizes(const at::Tensor& y) const override;
  ProductCost product_cost(const Shape& input) const override;
  // As torch::nn::LSTM: the initial means are uniform within 1 / sqrt(hidden_size).
  int64_t fan_in() const override { return options.hidden_size; }

 private:
  MeanFieldOptions mean_field_;
};
TORCH_MODULE(BayesRecurrent);

}  // namespace credence::nn
