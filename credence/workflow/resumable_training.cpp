// Resumable training: the fingerprint, its comparison, and the checkpoint hooks of the member loop.
#include "credence/workflow/resumable_training.h"

#include "credence/data/data_fingerprint.h"

#include <ATen/Parallel.h>

#include <stdexcept>

namespace credence::workflow {

using nlohmann::json;

json training_fingerprint(const std::string& settings_json, const json& network_spec, std::uint64_t seed,
                          const std::vector<std::string>& feature_names, const at::Tensor& inputs, const at::Tensor& targets) {
  return {{"inputs", data::data_fingerprint(inputs)},
          {"targets", data::data_fingerprint(targets)},
          {"features", feature_names},
          {"seed", seed},
          {"settings", json::parse(settings_json)},
          {"network", network_spec},
          {"threads", at::get_num_threads()}};
}

namespace {

std::string difference(const json& saved, const json& here, const std::string& where) {
  if (saved.is_object() && here.is_object()) {
    for (const auto& [key, value] : saved.items()) {
      const auto path = where.empty() ? key : where + "." + key;
      if (!here.contains(key)) return path + " is " + value.dump() + " in the checkpoint and absent here";
      const auto found = difference(value, here.at(key), path);
      if (!found.empty()) return found;
    }
    for (const auto& [key, value] : here.items()) {
      if (!saved.contains(key)) {
        return (where.empty() ? key : where + "." + key) + " is absent in the checkpoint and " + value.dump() + " here";
      }
    }
    return "";
  }
  if (saved.is_array() && here.is_array() && saved.size() == here.size()) {
    for (size_t i = 0; i < saved.size(); ++i) {
      const auto found = difference(saved[i], here[i], where + "[" + std::to_string(i) + "]");
      if (!found.empty()) return found;
    }
    return "";
  }
  if (saved == here) return "";
  auto shown = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  return where + " is " + shown(saved) + " in the checkpoint and " + shown(here) + " here";
}

}  // namespace

std::string fingerprint_difference(const json& saved, const json& here) {
  auto a = saved, b = here;
  a.erase("threads");
  b.erase("threads");
  return difference(a, b, "");
}

void check_checkpoints_apply(const CheckpointSettings& settings, const std::string& posterior) {
  if (settings.enabled() && !posterior.empty()) {
    throw std::invalid_argument(std::string(settings.resume.empty() ? "--checkpoint" : "--resume") +
                                ": checkpoints are written by minibatch training (bbb, mcdropout, deterministic, "
                                "ensemble), not by --method " + posterior);
  }
}

ResumableMembers::ResumableMembers(CheckpointSettings settings, json fingerprint)
    : settings_(std::move(settings)), fingerprint_(std::move(fingerprint)) {
  if (settings_.enabled() && settings_.every < 1) {
    throw std::invalid_argument("--checkpoint-every: expected a positive number of epochs, got " +
                                std::to_string(settings_.every));
  }
  if (settings_.path.empty()) settings_.path = settings_.resume;  // keep checkpointing where we resumed from
  if (settings_.resume.empty()) return;
  try {
    resumed_ = io::load_training_checkpoint(settings_.resume);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("--resume: ") + e.what());
  }
  const auto saved = json::parse(resumed_->fingerprint_json);
  const auto different = fingerprint_difference(saved, fingerprint_);
  if (!different.empty()) {
    throw std::invalid_argument("--resume: " + settings_.resume +
                                " was written by a training with other data or settings: " + different);
  }
  if (saved.value("threads", 0) != fingerprint_.value("threads", 0)) {
    warning_ = "resuming with " + std::to_string(fingerprint_.value("threads", 0)) + " threads where the checkpoint used " +
               std::to_string(saved.value("threads", 0)) +
               ": the result is not bit-identical to an uninterrupted run";
  }
  finished_ = resumed_->completed;
}

std::optional<inference::TrainingHistory> ResumableMembers::restore_finished(int64_t m, nn::Network& net,
                                                                            torch::nn::Module* likelihood) const {
  if (!resumed_ || m >= static_cast<int64_t>(resumed_->completed.size())) return std::nullopt;
  const auto& member = resumed_->completed[static_cast<size_t>(m)];
  auto tensors = inference::training_tensors(net, likelihood);
  if (tensors.size() != member.tensors.size()) {
    throw std::invalid_argument("--resume: " + settings_.resume + ": member " + std::to_string(m + 1) +
                                " does not fit this network");
  }
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].defined()) continue;
    if (!member.tensors[i].defined() || member.tensors[i].sizes() != tensors[i].sizes()) {
      throw std::invalid_argument("--resume: " + settings_.resume + ": member " + std::to_string(m + 1) +
                                  " does not fit this network");
    }
    tensors[i].copy_(member.tensors[i]);
  }
  return member.history;
}

inference::TrainOptions ResumableMembers::options_for(int64_t m, inference::TrainOptions options) {
  if (!settings_.enabled()) return options;
  inference::TrainingCheckpoints checkpoints;
  checkpoints.every = settings_.every;
  const auto path = settings_.path;
  const auto fingerprint = fingerprint_.dump();
  if (settings_.write) checkpoints.save = [this, path, fingerprint](const inference::TrainingState& state) {
    io::TrainingCheckpoint checkpoint;
    checkpoint.fingerprint_json = fingerprint;
    checkpoint.completed = finished_;
    checkpoint.current = state;
    io::save_training_checkpoint(path, checkpoint);
  };
  if (resumed_ && m == static_cast<int64_t>(resumed_->completed.size()) && resumed_->current.epochs_done > 0) {
    checkpoints.resume = std::make_shared<inference::TrainingState>(resumed_->current);
  }
  options.checkpoints(checkpoints);
  return options;
}

void ResumableMembers::member_finished(int64_t m, nn::Network& net, torch::nn::Module* likelihood,
                                       const inference::TrainingHistory& history) {
  if (!settings_.enabled() || m < static_cast<int64_t>(finished_.size())) return;
  io::CompletedMember member;
  for (const auto& t : inference::training_tensors(net, likelihood)) member.tensors.push_back(t.defined() ? t.detach().clone() : t);
  member.history = history;
  finished_.push_back(std::move(member));
}

}  // namespace credence::workflow
