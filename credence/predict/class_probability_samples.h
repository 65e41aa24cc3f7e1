// Monte Carlo class probabilities of one classifier or an ensemble of them, in one batched pass per chunk.
#pragma once

#include "credence/inference/categorical_likelihood.h"
#include "credence/nn/network.h"
#include "credence/predict/output_samples.h"

#include <ATen/ATen.h>

#include <functional>
#include <vector>

namespace credence::predict {

// Raw network outputs [D, N, width], D = the members' draws (draws_per_member), e.g. categorical
// logits for fitting a temperature.
at::Tensor sample_ensemble_outputs(std::vector<nn::Network>& members, const at::Tensor& x, const PredictOptions& options);

// Class probabilities chunk by chunk: visit(probabilities of the chunk's rows [D, rows, K],
// first_row). A noisy-logit head's noise is addressed by row on the CPU, so the draws do not depend
// on the chunks.
using ProbabilityChunkVisitor = std::function<void(const at::Tensor& probabilities, int64_t first_row)>;
void for_each_class_probability_chunk(std::vector<nn::Network>& members, const inference::ClassifierHead& head,
                                      const at::Tensor& x, const PredictOptions& options,
                                      c10::optional<at::Generator> generator, const ProbabilityChunkVisitor& visit);

// Class probabilities [D, N, K]: each member's draws through the head, concatenated.
at::Tensor sample_class_probabilities(std::vector<nn::Network>& members, const inference::ClassifierHead& head,
                                      const at::Tensor& x, const PredictOptions& options,
                                      c10::optional<at::Generator> generator = c10::nullopt);

}  // namespace credence::predict
