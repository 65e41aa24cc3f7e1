// TrainingCheckpoint <-> Archive. Tensor lists are stored as NAME.I for the defined entries and a
// count in the metadata, so undefined entries (moments not yet created) survive the round trip;
// the generator's uint8 state is stored as int64 values.
#include "credence/io/training_checkpoint.h"

#include "credence/io/regression_model.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

namespace credence::io {

namespace {

using nlohmann::json;

[[noreturn]] void malformed(const Archive& archive, const std::string& what) {
  throw ArchiveError(archive.path + ": not a usable training checkpoint (" + what + ")");
}

void add_list(Archive& archive, json& counts, const std::string& name, const std::vector<at::Tensor>& tensors) {
  counts[name] = tensors.size();
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].defined()) archive.add(name + "." + std::to_string(i), tensors[i]);
  }
}

std::vector<at::Tensor> get_list(const Archive& archive, const json& counts, const std::string& name) {
  if (!counts.contains(name) || !counts[name].is_number_unsigned()) malformed(archive, "no count for " + name);
  std::vector<at::Tensor> out(counts[name].get<size_t>());
  for (size_t i = 0; i < out.size(); ++i) {
    const auto key = name + "." + std::to_string(i);
    if (archive.has(key)) out[i] = archive.get(key);
  }
  return out;
}

// NaN (no validation) is stored as null.
json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
double number_from(const json& v) { return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>(); }

json records_json(const std::vector<inference::EpochRecord>& records) {
  json out = json::array();
  for (const auto& r : records) {
    out.push_back({r.epoch, number_or_null(r.loss), number_or_null(r.negative_log_likelihood), number_or_null(r.kl),
                   number_or_null(r.validation_nll)});
  }
  return out;
}

std::vector<inference::EpochRecord> records_from(const json& j) {
  std::vector<inference::EpochRecord> out;
  for (const auto& r : j) {
    if (!r.is_array() || r.size() != 5) throw std::invalid_argument("an epoch record is not [epoch, loss, nll, kl, val]");
    out.push_back({r[0].get<int64_t>(), number_from(r[1]), number_from(r[2]), number_from(r[3]), number_from(r[4])});
  }
  return out;
}

}  // namespace

Archive to_archive(const TrainingCheckpoint& checkpoint) {
  Archive archive;
  json meta;
  meta["kind"] = kTrainingCheckpointKind;
  meta["library_version"] = library_version();
  meta["fingerprint"] = json::parse(checkpoint.fingerprint_json);
  json counts;
  json completed = json::array();
  for (size_t m = 0; m < checkpoint.completed.size(); ++m) {
    const auto& member = checkpoint.completed[m];
    add_list(archive, counts, "completed." + std::to_string(m), member.tensors);
    completed.push_back({{"records", records_json(member.history.epochs)},
                         {"best_epoch", member.history.best_epoch},
                         {"stopped_early", member.history.stopped_early},
                         {"seconds", member.history.seconds}});
  }
  meta["completed"] = completed;
  const auto& state = checkpoint.current;
  meta["current"] = {{"epochs_done", state.epochs_done},
                     {"records", records_json(state.records)},
                     {"best_score", number_or_null(state.best_score)},
                     {"best_epoch", state.best_epoch},
                     {"epochs_since_best", state.epochs_since_best}};
  add_list(archive, counts, "current.tensors", state.tensors);
  add_list(archive, counts, "current.best", state.best_tensors);
  add_list(archive, counts, "current.optimizer", state.optimizer);
  archive.add("current.generator", state.generator_state.to(at::kLong));
  meta["tensor_lists"] = counts;
  archive.metadata_json = meta.dump();
  return archive;
}

TrainingCheckpoint training_checkpoint_from_archive(const Archive& archive) {
  if (archive_kind(archive) != kTrainingCheckpointKind) {
    throw ArchiveError(archive.path + ": not a training checkpoint (a file of kind \"" + archive_kind(archive) + "\")");
  }
  TrainingCheckpoint checkpoint;
  try {
    const auto meta = json::parse(archive.metadata_json);
    checkpoint.fingerprint_json = meta.at("fingerprint").dump();
    const auto& counts = meta.at("tensor_lists");
    const auto& completed = meta.at("completed");
    for (size_t m = 0; m < completed.size(); ++m) {
      CompletedMember member;
      member.tensors = get_list(archive, counts, "completed." + std::to_string(m));
      member.history.epochs = records_from(completed[m].at("records"));
      member.history.best_epoch = completed[m].at("best_epoch").get<int64_t>();
      member.history.stopped_early = completed[m].at("stopped_early").get<bool>();
      member.history.seconds = completed[m].at("seconds").get<double>();
      checkpoint.completed.push_back(std::move(member));
    }
    const auto& current = meta.at("current");
    auto& state = checkpoint.current;
    state.epochs_done = current.at("epochs_done").get<int64_t>();
    state.records = records_from(current.at("records"));
    state.best_score = current.at("best_score").is_null() ? std::numeric_limits<double>::infinity()
                                                          : current.at("best_score").get<double>();
    state.best_epoch = current.at("best_epoch").get<int64_t>();
    state.epochs_since_best = current.at("epochs_since_best").get<int64_t>();
    state.tensors = get_list(archive, counts, "current.tensors");
    state.best_tensors = get_list(archive, counts, "current.best");
    state.optimizer = get_list(archive, counts, "current.optimizer");
    const auto generator = archive.get("current.generator");
    if (generator.scalar_type() != at::kLong || generator.dim() != 1 || generator.lt(0).any().item<bool>() ||
        generator.gt(255).any().item<bool>()) {
      malformed(archive, "the generator state is not a list of bytes");
    }
    state.generator_state = generator.to(at::kByte);
  } catch (const ArchiveError&) {
    throw;
  } catch (const std::exception& e) {
    malformed(archive, e.what());
  }
  return checkpoint;
}

void save_training_checkpoint(const std::string& path, const TrainingCheckpoint& checkpoint) {
  write_archive(path, to_archive(checkpoint));
}

TrainingCheckpoint load_training_checkpoint(const std::string& path) {
  return training_checkpoint_from_archive(read_archive(path));
}

}  // namespace credence::io
