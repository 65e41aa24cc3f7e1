// RecurrentCell: the LSTM and GRU recurrences over groups of rows.
#include "credence/nn/recurrent_cell.h"

#include "credence/nn/spec_fields.h"

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <vector>

namespace credence::nn {

int64_t gate_count(CellKind kind) { return kind == CellKind::lstm ? 4 : 3; }

SequenceOutput sequence_output_from_string(const std::string& name) {
  if (name == "last") return SequenceOutput::last;
  if (name == "sequence") return SequenceOutput::sequence;
  throw std::invalid_argument("unknown output '" + name + "' (expected last or sequence)");
}

std::string to_string(SequenceOutput output) { return output == SequenceOutput::last ? "last" : "sequence"; }

namespace {

std::string sequence_input_problem(const Shape& input) {
  if (input.size() == 2) return "";
  return "expects sequences [steps, features], got " + to_string(input) +
         (input.size() == 1 ? " (a table row is not a sequence: give the data as windows or --sequence rows)" : "");
}

}  // namespace

RecurrentOptions read_recurrent_fields(SpecFields& fields, const Shape& input, CellKind kind) {
  const auto problem = sequence_input_problem(input);
  if (!problem.empty()) fields.fail(problem);
  RecurrentOptions options;
  options.kind = kind;
  options.input_size = input[1];
  options.hidden_size = fields.positive_integer("hidden_size");
  options.bias = fields.boolean_or("bias", true);
  try {
    options.output = sequence_output_from_string(fields.string_or("output", "last"));
  } catch (const std::invalid_argument& e) {
    fields.fail(e.what());
  }
  return options;
}

void write_recurrent_fields(nlohmann::json& spec, const RecurrentOptions& options) {
  spec["hidden_size"] = options.hidden_size;
  spec["bias"] = options.bias;
  spec["output"] = to_string(options.output);
}

Shape recurrent_output_shape(const RecurrentOptions& options, const Shape& input) {
  const auto problem = sequence_input_problem(input);
  if (!problem.empty()) throw std::invalid_argument(problem);
  if (input[1] != options.input_size) {
    throw std::invalid_argument("expects " + std::to_string(options.input_size) + " features per step, got " + to_string(input));
  }
  if (options.output == SequenceOutput::last) return {options.hidden_size};
  return {input[0], options.hidden_size};
}

int64_t recurrent_working_values(const RecurrentOptions& options, const Shape& input) {
  const int64_t steps = input.empty() ? 0 : input[0];
  // The input products of every step, and every step's state (and cell) kept for the output.
  return steps * (options.gates() + 2 * options.hidden_size);
}

RecurrentWeights split_recurrent_weight(const at::Tensor& weight, const at::Tensor& bias, int64_t input_size) {
  const int64_t last = weight.dim() - 1;
  const int64_t hidden = weight.size(last) - input_size;
  return {weight.narrow(last, 0, input_size), weight.narrow(last, input_size, hidden), bias};
}

at::Tensor as_groups(const at::Tensor& x, int64_t groups) {
  auto sizes = x.sizes().vec();
  sizes[0] /= groups;
  sizes.insert(sizes.begin(), groups);
  return x.view(sizes);
}

at::Tensor from_groups(const at::Tensor& y) {
  auto sizes = y.sizes().vec();
  sizes[1] *= sizes[0];
  sizes.erase(sizes.begin());
  return y.reshape(sizes);
}

namespace {

// A product of a [groups, rows, in] batch with weights [out, in] or [groups, out, in].
at::Tensor times_transposed(const at::Tensor& x, const at::Tensor& weight) {
  return at::matmul(x, weight.transpose(-1, -2));
}

}  // namespace

at::Tensor run_recurrence(const RecurrentOptions& options, const at::Tensor& x, const RecurrentWeights& weights,
                          const at::Tensor& input_mask, const at::Tensor& state_mask, const GatePerturbation* perturbation) {
  if (x.dim() != 4 || x.size(3) != options.input_size) {
    throw std::invalid_argument("recurrence: expected inputs [groups, rows, steps, " + std::to_string(options.input_size) +
                                "], got " + to_string(x.sizes().vec()));
  }
  const int64_t rows = x.size(1), steps = x.size(2), hidden = options.hidden_size, gates = options.gates();
  auto inputs = input_mask.defined() ? x * input_mask.unsqueeze(2) : x;
  const int64_t groups_in = inputs.size(0);
  // Every step's input products at once: [groups, B*T, F] x [.., F, G*H].
  auto projected = times_transposed(inputs.reshape({groups_in, rows * steps, options.input_size}), weights.input);
  if (weights.bias.defined()) projected = projected + (weights.bias.dim() == 1 ? weights.bias : weights.bias.unsqueeze(1));
  const int64_t groups = projected.size(0);
  projected = projected.view({groups, rows, steps, gates});
  if (perturbation && perturbation->input.defined()) projected = projected + perturbation->input;

  auto state = at::zeros({groups, rows, hidden}, projected.options());
  auto cell = options.kind == CellKind::lstm ? at::zeros_like(state) : at::Tensor();
  std::vector<at::Tensor> outputs;
  if (options.output == SequenceOutput::sequence) outputs.reserve(static_cast<size_t>(steps));
  for (int64_t t = 0; t < steps; ++t) {
    const auto step_input = projected.select(2, t);
    const auto state_in = state_mask.defined() ? state * state_mask : state;
    auto recurrent = times_transposed(state_in, weights.hidden);
    if (perturbation && perturbation->state) recurrent = recurrent + perturbation->state(state_in);
    if (options.kind == CellKind::lstm) {
      const auto g = (step_input + recurrent).chunk(4, -1);
      cell = at::sigmoid(g[1]) * cell + at::sigmoid(g[0]) * at::tanh(g[2]);
      state = at::sigmoid(g[3]) * at::tanh(cell);
    } else {
      const auto gx = step_input.chunk(3, -1);
      const auto gh = recurrent.chunk(3, -1);
      const auto reset = at::sigmoid(gx[0] + gh[0]);
      const auto update = at::sigmoid(gx[1] + gh[1]);
      const auto candidate = at::tanh(gx[2] + reset * gh[2]);
      state = candidate + update * (state - candidate);
    }
    if (options.output == SequenceOutput::sequence) outputs.push_back(state);
  }
  if (options.output == SequenceOutput::last) return state;
  return at::stack(outputs, 2);
}

}  // namespace credence::nn
