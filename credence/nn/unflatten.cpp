// Unflatten.
#include "credence/nn/unflatten.h"

#include "credence/nn/spec_fields.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::nn {

std::shared_ptr<Layer> UnflattenImpl::from_spec(SpecFields& fields, const Shape& input) {
  Shape shape = fields.positive_integer_list("shape", 1, 3);
  if (input.size() != 1 || input[0] != element_count(shape)) {
    fields.fail("expects an input [" + std::to_string(element_count(shape)) + "] to make " + to_string(shape) + ", got " +
                to_string(input));
  }
  return std::make_shared<UnflattenImpl>(std::move(shape));
}

nlohmann::json UnflattenImpl::spec() const { return {{"type", type()}, {"shape", shape_}}; }

Shape UnflattenImpl::output_shape(const Shape& input) const {
  if (input.size() != 1 || input[0] != element_count(shape_)) {
    throw std::invalid_argument("expects an input [" + std::to_string(element_count(shape_)) + "], got " + to_string(input));
  }
  return shape_;
}

at::Tensor UnflattenImpl::forward(const at::Tensor& x) {
  std::vector<int64_t> sizes{x.size(0)};
  sizes.insert(sizes.end(), shape_.begin(), shape_.end());
  return x.reshape(sizes);
}

}  // namespace credence::nn
