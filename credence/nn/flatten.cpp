// Flatten.
#include "credence/nn/flatten.h"

#include <nlohmann/json.hpp>

namespace credence::nn {

std::shared_ptr<Layer> FlattenImpl::from_spec(SpecFields& /*fields*/, const Shape& /*input*/) {
  return std::make_shared<FlattenImpl>();
}

nlohmann::json FlattenImpl::spec() const { return {{"type", type()}}; }

}  // namespace credence::nn
