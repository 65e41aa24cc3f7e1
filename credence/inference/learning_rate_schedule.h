// Learning-rate schedules over the epochs of a training run.
#pragma once

#include <cstdint>
#include <string>

namespace credence::inference {

enum class LearningRateSchedule {
  constant,  // the base rate for every epoch
  cosine,    // base * (1 + cos(pi (e - 1) / E)) / 2 for epoch e of E: annealed to near zero at the end
};
LearningRateSchedule learning_rate_schedule_from_string(const std::string& name);
std::string to_string(LearningRateSchedule schedule);

// The rate for `epoch` (1-based) of `epochs`.
double learning_rate_at(LearningRateSchedule schedule, double base, int64_t epoch, int64_t epochs);

}  // namespace credence::inference
