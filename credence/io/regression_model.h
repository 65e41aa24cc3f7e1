// RegressionModel: a trained regression network (or an ensemble of them) with everything needed to
// predict in original units. A format only: prediction is workflow/regression_prediction.h.
#pragma once

#include "credence/data/standardizer.h"
#include "credence/inference/gaussian_likelihood.h"
#include "credence/inference/laplace_approximation.h"
#include "credence/io/archive.h"
#include "credence/nn/network.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace credence::io {

inline constexpr const char* kRegressionNetworkKind = "regression_network";

struct RegressionModel {
  std::vector<nn::Network> members;  // one network, or the members of an ensemble
  std::vector<inference::GaussianLikelihood> likelihoods;  // one per member
  data::Standardizer input_scaler;
  data::Standardizer target_scaler;
  std::vector<std::string> feature_names;
  std::string target_name;
  std::uint64_t seed = 0;
  // The training settings, as a JSON object (kept verbatim in the model file).
  std::string training_json = "{}";

  // The posterior approximation's name when the members are not independently trained networks
  // (for example "hmc" when they are posterior samples); empty: derived from the members. Stored as
  // the metadata's "method".
  std::string posterior;
  // The Laplace posterior over the one member's weights (posterior "laplace"); absent in other files.
  std::optional<inference::LaplacePosterior> laplace;

  // `posterior` when set, else "ensemble" for more than one member, else the member's method.
  std::string method() const;
};

Archive to_archive(const RegressionModel& model);
// Throws ArchiveError naming the archive's path when a field or tensor is missing or malformed.
RegressionModel regression_model_from_archive(const Archive& archive);

void save_regression_model(const std::string& path, const RegressionModel& model);
RegressionModel load_regression_model(const std::string& path);

// The "kind" field of an archive's metadata ("regression_network", "gmm", ...).
std::string archive_kind(const Archive& archive);

}  // namespace credence::io
