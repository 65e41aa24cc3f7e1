// Recurrent: the deterministic LSTM and GRU layers (spec types "lstm" and "gru") over sequences
// [T, F], with MC dropout of their own: a field "dropout" drops the step's inputs and the state
// entering the products with one mask per sequence, the same at every time step (Gal & Ghahramani
// 2016, "A theoretically grounded application of dropout in recurrent neural networks"), kept on at
// prediction. Element-wise dropout layers between steps would draw a new mask at every step instead.
#pragma once

#include "credence/nn/layer.h"
#include "credence/nn/mc_dropout.h"
#include "credence/nn/recurrent_cell.h"

#include <torch/nn/pimpl.h>

namespace credence::nn {

class SpecFields;

class RecurrentImpl : public LayerModule<RecurrentImpl> {
 public:
  RecurrentImpl(const RecurrentOptions& options, double dropout = 0.0);
  // From a spec's fields ("hidden_size", "output", "bias", "dropout") for an input [T, F].
  static std::shared_ptr<Layer> from_spec(SpecFields& fields, const Shape& input, CellKind kind);

  void reset() override;
  void reset_parameters() override;
  void set_generator(c10::optional<at::Generator> generator) override;
  void set_sampling(bool sampling) override { dropout_->set_sampling(sampling); }
  bool is_stochastic() const override { return dropout_->is_stochastic(); }

  std::string type() const override { return options.kind == CellKind::lstm ? "lstm" : "gru"; }
  nlohmann::json spec() const override;
  Shape output_shape(const Shape& input) const override { return recurrent_output_shape(options, input); }
  at::Tensor forward(const at::Tensor& x) override;
  // With dropout, S masks per sequence: a shared batch becomes S per-sample ones in one recurrence.
  SampleBatch forward_samples(const SampleBatch& x) override;
  void hold_weight_samples(int64_t samples, int64_t total_rows, const Shape& input, bool shared_input) override;
  void release_weight_samples() override { dropout_->release_weight_samples(); }
  int64_t working_values(const Shape& input) const override { return recurrent_working_values(options, input); }

  double dropout() const { return dropout_->options.p(); }

  RecurrentOptions options;
  at::Tensor weight, bias;  // [G*H, F + H] over [x_t, h_{t-1}], and [G*H]

 private:
  // Masks [rows, F + H] over the step's input and the state, in x's layout (dropout's own draws).
  SampleBatch masks(const SampleBatch& x);
  // The recurrence over inputs [groups, B, T, F] with masks [groups, B, F + H] (undefined: none).
  at::Tensor run(const at::Tensor& inputs, const at::Tensor& masks) const;
  double dropout_p_;
  McDropout dropout_{nullptr};
  c10::optional<at::Generator> generator_;
};
TORCH_MODULE(Recurrent);

}  // namespace credence::nn
