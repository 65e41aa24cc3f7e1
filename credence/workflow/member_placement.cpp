// MemberPlacement: members spread over the replicas of a job, then summed into place.
#include "credence/workflow/member_placement.h"

#include <map>

namespace credence::workflow {

MemberPlacement::MemberPlacement(const inference::TrainOptions& training, int64_t members, bool checkpoints) {
  const auto& replicas = training.replicas();
  if (replicas && replicas->size() > 1 && members > 1 && !checkpoints) replicas_ = replicas.get();
}

bool MemberPlacement::trains_here(int64_t m) const { return !replicas_ || m % replicas_->size() == replicas_->rank(); }

inference::TrainOptions MemberPlacement::options_for(inference::TrainOptions options) const {
  if (replicas_) options.replicas(nullptr);
  return options;
}

void MemberPlacement::exchange(std::vector<std::vector<at::Tensor>> member_tensors,
                               std::vector<inference::TrainingHistory>& histories) const {
  if (!replicas_) return;
  at::NoGradGuard no_grad;
  // Each tensor is the sum of the trained values on the replica that trained it and zeros on the
  // others: one sum per dtype (a bucketed all-reduce wants one dtype).
  std::map<at::ScalarType, std::vector<at::Tensor>> by_dtype;
  std::map<at::ScalarType, std::vector<at::Tensor>> targets;
  for (size_t m = 0; m < member_tensors.size(); ++m) {
    const bool here = trains_here(static_cast<int64_t>(m));
    for (auto& t : member_tensors[m]) {
      if (!t.defined()) continue;
      auto value = here ? t.detach().contiguous().clone() : at::zeros_like(t).contiguous();
      by_dtype[t.scalar_type()].push_back(value);
      targets[t.scalar_type()].push_back(t);
    }
  }
  for (auto& [dtype, values] : by_dtype) {
    if (dtype == at::kBool) {
      // Bool tensors (masks) travel as bytes.
      std::vector<at::Tensor> bytes;
      for (auto& v : values) bytes.push_back(v.to(at::kByte));
      replicas_->sum(bytes);
      for (size_t i = 0; i < bytes.size(); ++i) targets[dtype][i].copy_(bytes[i].to(at::kBool));
      continue;
    }
    replicas_->sum(values);
    for (size_t i = 0; i < values.size(); ++i) targets[dtype][i].copy_(values[i]);
  }
  std::vector<double> totals;
  for (size_t m = 0; m < histories.size(); ++m) {
    const bool here = trains_here(static_cast<int64_t>(m));
    const auto& h = histories[m];
    totals.push_back(here ? h.seconds : 0.0);
    totals.push_back(here ? static_cast<double>(h.best_epoch) : 0.0);
    totals.push_back(here && h.stopped_early ? 1.0 : 0.0);
  }
  totals = replicas_->sum(totals);
  for (size_t m = 0; m < histories.size(); ++m) {
    histories[m].seconds = totals[3 * m];
    histories[m].best_epoch = static_cast<int64_t>(totals[3 * m + 1]);
    histories[m].stopped_early = totals[3 * m + 2] > 0.5;
  }
}

}  // namespace credence::workflow
