// The Laplace posterior's part of a network model file: metadata["laplace"] (subset, structure,
// predictive, prior precision, covered layers, evidence) and its tensors under "laplace.". Files
// without it are plain networks; it is optional on read.
#pragma once

#include "credence/inference/laplace_approximation.h"
#include "credence/io/archive.h"
#include "credence/nn/network.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace credence::io {

void add_laplace_posterior(Archive& archive, nlohmann::json& metadata, const inference::LaplacePosterior& posterior);
// The posterior of a file that has one, checked against its MAP network; throws ArchiveError naming
// the file when a field or tensor is missing or does not fit the network.
std::optional<inference::LaplacePosterior> read_laplace_posterior(const Archive& archive, const nlohmann::json& metadata,
                                                                  nn::Network& net);

}  // namespace credence::io
