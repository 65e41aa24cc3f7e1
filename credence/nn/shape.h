// Shape: the shape of one row of activations (the batch dimension excluded), as layers and specs use it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace credence::nn {

// [features], [channels, length] or [channels, height, width]: never the batch dimension.
using Shape = std::vector<int64_t>;

// "[1, 28, 28]".
std::string to_string(const Shape& shape);

// The number of values in one row of that shape.
int64_t element_count(const Shape& shape);

// {rows} followed by the shape: the sizes of a batch of `rows` such rows.
std::vector<int64_t> batch_sizes(int64_t rows, const Shape& shape);

}  // namespace credence::nn
