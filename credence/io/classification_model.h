// ClassificationModel: one classifier or an ensemble of them, with the input encoding, the class
// names and the fitted temperature: everything needed to predict class probabilities. A format
// only: prediction is workflow/classification_prediction.h.
#pragma once

#include "credence/data/standardizer.h"
#include "credence/inference/categorical_likelihood.h"
#include "credence/inference/laplace_approximation.h"
#include "credence/io/archive.h"
#include "credence/nn/network.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace credence::io {

inline constexpr const char* kClassificationNetworkKind = "classification_network";

// What the network's input columns are: image pixels (rows x cols) or named table columns.
struct InputLayout {
  std::string kind = "table";  // "image" or "table"
  int64_t image_rows = 0, image_cols = 0;
  std::vector<std::string> features;  // table: the feature column names
  int64_t width() const;              // input values per row
  // One row's shape as the data give it: [1, rows, cols] for images, [features] for a table.
  nn::Shape shape() const;
};

struct ClassificationModel {
  std::vector<nn::Network> members;  // one network, or the members of an ensemble
  inference::ClassifierHead head;    // likelihood, temperature, logit-noise draws
  InputLayout input;
  data::Standardizer input_scaler;  // images: mean 0 and std = the pixel scale
  std::vector<std::string> class_names;
  std::string target_name;
  std::uint64_t seed = 0;
  // Temperature scaling's validation NLL before and after (equal when none was fitted or the fit
  // was not applied), and the temperature that minimised it, applied or not (head.temperature is
  // the one applied; see predict::fit_temperature).
  double validation_nll_before_temperature = 0.0, validation_nll_after_temperature = 0.0;
  double fitted_temperature = 1.0;
  std::string training_json = "{}";  // the training settings, kept verbatim

  int64_t classes() const { return static_cast<int64_t>(class_names.size()); }
  // The posterior approximation's name when the members are not independently trained networks
  // (for example "hmc" when they are posterior samples); empty: derived from the members. Stored as
  // the metadata's "method".
  std::string posterior;
  // The Laplace posterior over the one member's weights (posterior "laplace"); absent in other files.
  std::optional<inference::LaplacePosterior> laplace;

  // `posterior` when set, else "ensemble" for more than one member, else the member method.
  std::string method() const;
};

Archive to_archive(const ClassificationModel& model);
// Throws ArchiveError naming the archive's path when a field or tensor is missing or malformed.
ClassificationModel classification_model_from_archive(const Archive& archive);

void save_classification_model(const std::string& path, const ClassificationModel& model);
ClassificationModel load_classification_model(const std::string& path);

}  // namespace credence::io
