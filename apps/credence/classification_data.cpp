// Reading IDX folders and labelled CSV files for classifiers.
#include "classification_data.h"

#include "cli_support.h"
#include "credence/workflow/regression_prediction.h"

#include "credence/data/class_labels.h"
#include "credence/data/csv_table.h"
#include "credence/data/idx_file.h"

#include <algorithm>
#include <stdexcept>

namespace credence::cli {

namespace {

constexpr const char* kIdxPrefix = "idx:";

std::string idx_directory(const std::string& spec) { return spec.substr(std::string(kIdxPrefix).size()); }

LabelledData read_idx_data(const std::string& spec, const std::string& prefix) {
  const auto directory = idx_directory(spec);
  auto images = data::read_idx_images(directory, prefix, 1.0);
  LabelledData d;
  d.description = directory;
  d.inputs = images.images;
  d.labels = images.labels;
  d.layout.kind = "image";
  d.layout.image_rows = images.rows;
  d.layout.image_cols = images.cols;
  d.target_name = "label";
  return d;
}

}  // namespace

bool is_idx_spec(const std::string& spec) { return spec.rfind(kIdxPrefix, 0) == 0; }

LabelledData read_training_data(const std::string& spec, const std::string& target, const std::string& features) {
  if (is_idx_spec(spec)) {
    auto d = read_idx_data(spec, "train");
    const int64_t classes = d.labels.numel() ? d.labels.max().item<int64_t>() + 1 : 0;
    for (int64_t k = 0; k < classes; ++k) d.class_names.push_back(std::to_string(k));
    if (classes < 2) throw std::runtime_error(d.description + ": the labels hold fewer than two classes");
    return d;
  }
  if (target.empty()) throw std::invalid_argument("--target is required for a CSV file (the label column's name)");
  auto table = data::read_csv(spec, {target});
  auto names = features.empty() ? table.columns_except(target) : split_list(features);
  require(!names.empty(), "--target", "the data has no feature columns besides the target '" + target + "'");
  for (const auto& f : names) require(f != target, "--features", "the target '" + target + "' cannot also be a feature");
  auto encoded = data::encode_labels(table.text.at(target), spec);
  LabelledData d;
  d.description = spec;
  d.inputs = table.select(names);
  d.labels = encoded.labels;
  d.class_names = encoded.class_names;
  d.layout.kind = "table";
  d.layout.features = names;
  d.target_name = target;
  return d;
}

LabelledData read_data_for_model(const io::ClassificationModel& model, const std::string& spec, bool need_labels,
                                 const std::string& option) {
  if (is_idx_spec(spec)) {
    if (model.input.kind != "image") {
      throw std::invalid_argument(option + ": the model was trained on table columns, not images; give a CSV file");
    }
    auto d = read_idx_data(spec, "t10k");
    if (d.layout.image_rows != model.input.image_rows || d.layout.image_cols != model.input.image_cols) {
      throw std::invalid_argument(option + ": " + d.description + " holds " + std::to_string(d.layout.image_rows) +
                                  "x" + std::to_string(d.layout.image_cols) + " images but the model was trained on " +
                                  std::to_string(model.input.image_rows) + "x" + std::to_string(model.input.image_cols));
    }
    if (need_labels && d.labels.numel() > 0 && d.labels.max().item<int64_t>() >= model.classes()) {
      throw std::invalid_argument(option + ": " + d.description + " has label " +
                                  std::to_string(d.labels.max().item<int64_t>()) + " but the model knows " +
                                  std::to_string(model.classes()) + " classes (0.." +
                                  std::to_string(model.classes() - 1) + ")");
    }
    return d;
  }
  if (model.input.kind != "table") {
    throw std::invalid_argument(option + ": the model was trained on images; give idx:DIR");
  }
  const auto header = data::read_csv_header(spec);
  const bool has_target = std::find(header.begin(), header.end(), model.target_name) != header.end();
  if (need_labels && !has_target) {
    throw std::invalid_argument(option + ": " + spec + " has no label column '" + model.target_name + "'");
  }
  auto table = data::read_csv(spec, has_target ? std::vector<std::string>{model.target_name} : std::vector<std::string>{});
  LabelledData d;
  d.description = spec;
  d.layout = model.input;
  d.target_name = model.target_name;
  d.inputs = workflow::model_inputs(table, model.input.features);
  if (need_labels) d.labels = data::labels_for_classes(table.text.at(model.target_name), model.class_names, spec);
  return d;
}

}  // namespace credence::cli
