// Learning-rate schedules.
#include "credence/inference/learning_rate_schedule.h"

#include <cmath>
#include <stdexcept>

namespace credence::inference {

LearningRateSchedule learning_rate_schedule_from_string(const std::string& name) {
  if (name == "constant") return LearningRateSchedule::constant;
  if (name == "cosine") return LearningRateSchedule::cosine;
  throw std::invalid_argument("unknown learning-rate schedule '" + name + "' (expected constant or cosine)");
}

std::string to_string(LearningRateSchedule schedule) {
  return schedule == LearningRateSchedule::constant ? "constant" : "cosine";
}

double learning_rate_at(LearningRateSchedule schedule, double base, int64_t epoch, int64_t epochs) {
  if (epochs <= 0 || epoch < 1 || epoch > epochs) throw std::invalid_argument("learning_rate_at: epoch out of range");
  if (schedule == LearningRateSchedule::constant) return base;
  // The last epoch keeps a small positive rate rather than exactly zero, so it still learns.
  const double progress = static_cast<double>(epoch - 1) / static_cast<double>(epochs);
  return base * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace credence::inference
