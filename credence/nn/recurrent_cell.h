// RecurrentCell: what the recurrent layers share (lstm, gru and their Bayesian forms): their spec
// fields, their shapes and the recurrence itself, run over sequences batch-first [B, T, F].
//
// The weights of a layer are one matrix [G*H, F + H] over the step's input and the previous state
// together (G = 4 gates for an LSTM, 3 for a GRU; H hidden units), and one bias [G*H]:
//   LSTM (Hochreiter & Schmidhuber 1997, the gate order i, f, g, o of torch::nn::LSTM):
//     [i f g o] = W [x_t, h_{t-1}] + b;  c_t = s(f) c_{t-1} + s(i) tanh(g);  h_t = s(o) tanh(c_t)
//   GRU (Cho et al. 2014, with the reset gate applied after the state's product, as cuDNN and
//   torch::nn::GRU do; one bias, on the input side):
//     [r z n]_x = W_x x_t + b,  [r z n]_h = W_h h_{t-1};  r = s(r_x + r_h), z = s(z_x + z_h),
//     n = tanh(n_x + r * n_h);  h_t = (1 - z) n + z h_{t-1}
// The state starts at zero for every sequence.
//
// Weights may be given once for every row, or per group of rows (S weight samples, each for its own
// B rows): the Monte Carlo pass of a Bayesian layer runs S functions in one batched recurrence, each
// with the same weights at every time step of its sequences (Fortunato et al. 2017).
#pragma once

#include "credence/nn/shape.h"

#include <ATen/ATen.h>
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace credence::nn {

class SpecFields;

enum class CellKind { lstm, gru };
int64_t gate_count(CellKind kind);

enum class SequenceOutput {
  last,      // the last step's state [H]: a sequence summarised for a dense head
  sequence,  // every step's state [T, H]: for a recurrent layer stacked on it, or a head per step
};
SequenceOutput sequence_output_from_string(const std::string& name);
std::string to_string(SequenceOutput output);

struct RecurrentOptions {
  CellKind kind = CellKind::lstm;
  int64_t input_size = 0;   // F, from the input shape [T, F]
  int64_t hidden_size = 0;  // H
  bool bias = true;
  SequenceOutput output = SequenceOutput::last;

  int64_t gates() const { return gate_count(kind) * hidden_size; }  // G*H
};

// The fields "hidden_size" (required), "output" ("last" or "sequence") and "bias" for an input [T, F].
RecurrentOptions read_recurrent_fields(SpecFields& fields, const Shape& input, CellKind kind);
void write_recurrent_fields(nlohmann::json& spec, const RecurrentOptions& options);
// [H] or [T, H] for an input [T, F]; throws saying what the layer takes otherwise.
Shape recurrent_output_shape(const RecurrentOptions& options, const Shape& input);
// Values one row holds while the recurrence runs (the input products and every step's state).
int64_t recurrent_working_values(const RecurrentOptions& options, const Shape& input);

// The recurrence's weights: the input part [.., G*H, F], the state part [.., G*H, H] and the bias
// [.., G*H] (undefined without one); with a leading [S] for S groups of rows.
struct RecurrentWeights {
  at::Tensor input, hidden, bias;
};
// The parts of a combined weight [.., G*H, F + H] and bias.
RecurrentWeights split_recurrent_weight(const at::Tensor& weight, const at::Tensor& bias, int64_t input_size);

// Terms added to the gates beside the weights' own products (Flipout's perturbations): one for the
// input side [groups, B, T, G*H], and a function of the (masked) state [groups, B, H] -> [groups, B, G*H].
struct GatePerturbation {
  at::Tensor input;
  std::function<at::Tensor(const at::Tensor& state)> state;
};

// Runs the cell over x [groups, B, T, F] (groups 1 when every group shares the rows) with weights
// for every row or per group. input_mask [groups, B, F] and state_mask [groups, B, H] (undefined for
// none) multiply the input and the state entering the products, the same mask at every time step
// (Gal & Ghahramani 2016). Returns [groups, B, H] (output last) or [groups, B, T, H].
at::Tensor run_recurrence(const RecurrentOptions& options, const at::Tensor& x, const RecurrentWeights& weights,
                          const at::Tensor& input_mask = {}, const at::Tensor& state_mask = {},
                          const GatePerturbation* perturbation = nullptr);

// x [B, T, F] or [S*B, T, F] (sample-major) as [groups, B, T, F] for run_recurrence, and back:
// [groups, B, ...] -> [groups*B, ...].
at::Tensor as_groups(const at::Tensor& x, int64_t groups);
at::Tensor from_groups(const at::Tensor& y);

}  // namespace credence::nn
