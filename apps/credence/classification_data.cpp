// Reading IDX folders and labelled CSV files for classifiers.
#include "classification_data.h"

#include "cli_support.h"
#include "credence/workflow/regression_prediction.h"

#include "credence/data/class_labels.h"
#include "credence/data/csv_table.h"
#include "credence/data/idx_file.h"
#include "credence/data/input_file.h"

#include <algorithm>
#include <stdexcept>

namespace credence::cli {

namespace {

constexpr const char* kIdxPrefix = "idx:";

std::string idx_directory(const std::string& spec) { return spec.substr(std::string(kIdxPrefix).size()); }

LabelledData read_idx_data(const std::string& spec, const std::string& prefix) {
  const auto directory = idx_directory(spec);
  auto images = data::read_idx_images(directory, prefix, 1.0);
  if (images.images.size(0) == 0) throw std::runtime_error(directory + ": the " + prefix + "-* IDX files hold no images");
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

// IDX labels as the text cells that class names are matched against.
std::vector<std::string> idx_label_cells(const at::Tensor& labels) {
  const auto values = labels.to(at::kLong).contiguous();
  const int64_t* p = values.data_ptr<int64_t>();
  std::vector<std::string> cells(static_cast<size_t>(values.numel()));
  for (size_t i = 0; i < cells.size(); ++i) cells[i] = std::to_string(p[i]);
  return cells;
}

}  // namespace

bool is_idx_spec(const std::string& spec) { return spec.rfind(kIdxPrefix, 0) == 0; }

LabelledData read_training_data(const std::string& spec, const std::string& target, const std::string& features) {
  if (is_idx_spec(spec)) {
    auto d = read_idx_data(spec, "train");
    // The classes are the label values present, as for integer labels in a CSV file: a stray 255
    // makes one class named 255, never 256 classes of which 250 are empty.
    auto encoded = data::encode_labels(idx_label_cells(d.labels), d.description + " (train labels)");
    d.labels = encoded.labels;
    d.class_names = encoded.class_names;
    return d;
  }
  if (target.empty()) throw std::invalid_argument("--target is required for a CSV file (the label column's name)");
  data::refuse_directory(spec, "CSV file (an IDX image folder is given as idx:" + spec + ")");
  auto table = data::read_csv(spec);
  table.column_index(target);
  auto names = features.empty() ? table.columns_except(target) : split_list(features);
  require(!names.empty(), "--target", "the data has no feature columns besides the target '" + target + "'");
  for (const auto& f : names) require(f != target, "--features", "the target '" + target + "' cannot also be a feature");
  auto encoded = data::encode_labels(table.text(target), spec);
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
    if (need_labels) {
      d.labels = data::labels_for_classes(idx_label_cells(d.labels), model.class_names, d.description + " (t10k labels)");
    }
    return d;
  }
  if (model.input.kind != "table") {
    throw std::invalid_argument(option + ": the model was trained on images; give idx:DIR");
  }
  data::refuse_directory(spec, "CSV file (an IDX image folder is given as idx:" + spec + ")");
  auto table = data::read_csv(spec);
  if (need_labels && !table.has_column(model.target_name)) {
    throw std::invalid_argument(option + ": " + spec + " has no label column '" + model.target_name + "'");
  }
  LabelledData d;
  d.description = spec;
  d.layout = model.input;
  d.target_name = model.target_name;
  d.inputs = workflow::model_inputs(table, model.input.features);
  if (need_labels) d.labels = data::labels_for_classes(table.text(model.target_name), model.class_names, spec);
  return d;
}

at::Tensor read_images(const std::string& spec, const std::string& prefix, const nn::Shape& shape, const std::string& option) {
  if (!is_idx_spec(spec)) throw std::invalid_argument(option + ": generative models read images: expected idx:DIR, got " + spec);
  auto d = read_idx_data(spec, prefix);
  const nn::Shape found{1, d.layout.image_rows, d.layout.image_cols};
  if (!shape.empty() && shape != found) {
    throw std::invalid_argument(option + ": " + d.description + " holds " + std::to_string(found[1]) + "x" +
                                std::to_string(found[2]) + " images but the model was trained on " + nn::to_string(shape));
  }
  return (d.inputs.to(at::kFloat) / 255.0).view({d.inputs.size(0), 1, found[1], found[2]});
}

}  // namespace credence::cli
