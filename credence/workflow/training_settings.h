// The training settings that a model file keeps, as one JSON object (shared by regression and
// classification fits).
#pragma once

#include "credence/inference/trainer.h"

#include <nlohmann/json.hpp>

namespace credence::workflow {

// {"epochs", "batch_size", "learning_rate", "weight_decay", "kl_weighting", "patience",
//  "validation_fraction", "validation_samples"}.
nlohmann::json training_settings(const inference::TrainOptions& training, double validation_fraction,
                                 int64_t validation_samples);

}  // namespace credence::workflow
