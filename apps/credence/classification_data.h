// Classification data for the command line: `idx:DIR` image folders or CSV files with a label column.
#pragma once

#include "credence/io/classification_model.h"

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace credence::cli {

struct LabelledData {
  std::string description;  // the folder or file, for messages
  at::Tensor inputs;        // [n, d] raw values (pixels 0..255)
  at::Tensor labels;        // [n] int64 (undefined when the data has no labels)
  io::InputLayout layout;
  std::vector<std::string> class_names;  // from the data (training only)
  std::string target_name;
};

// True for an `idx:DIR` specification.
bool is_idx_spec(const std::string& spec);

// Training data: `idx:DIR` reads DIR/train-*; a CSV needs `target` (integer or string labels)
// and takes `features` (comma-separated, default all but the target).
LabelledData read_training_data(const std::string& spec, const std::string& target, const std::string& features);

// Data for a trained model: `idx:DIR` reads DIR/t10k-*; a CSV must hold the model's feature
// columns, and its label column when `need_labels`. Checks the image size against the model and
// maps labels to the model's classes (an unknown label is an error naming the file and row).
// `option` names the command-line option for messages (--data, --ood).
LabelledData read_data_for_model(const io::ClassificationModel& model, const std::string& spec, bool need_labels,
                                 const std::string& option);

// Images for a generative model: the `prefix` files ("train" or "t10k") of `spec` (idx:DIR) as
// [N, 1, rows, cols] pixels / 255. When `shape` is given ([1, rows, cols]) the images must have it:
// otherwise an error naming `option`, the folder and both sizes; a spec that is not idx:DIR is
// refused naming `option` too.
at::Tensor read_images(const std::string& spec, const std::string& prefix, const nn::Shape& shape, const std::string& option);

}  // namespace credence::cli
