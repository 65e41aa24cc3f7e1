// Training settings as JSON.
#include "credence/workflow/training_settings.h"

namespace credence::workflow {

nlohmann::json training_settings(const inference::TrainOptions& t, double validation_fraction,
                                 int64_t validation_samples) {
  return {
      {"epochs", t.epochs()},
      {"batch_size", t.batch_size()},
      {"learning_rate", t.learning_rate()},
      {"learning_rate_schedule", inference::to_string(t.learning_rate_schedule())},
      {"training_step", t.fused() ? "fused where supported" : "autograd"},
      {"weight_decay", t.weight_decay()},
      {"kl_weighting", inference::to_string(t.kl_weighting())},
      {"patience", t.patience()},
      {"validation_fraction", validation_fraction},
      {"validation_samples", validation_samples},
  };
}

}  // namespace credence::workflow
