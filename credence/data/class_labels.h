// Class labels from a table column: integer or string cells mapped to class indices 0..K-1,
// with the class names kept so that predictions can be printed back in the user's terms.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace credence::data {

struct EncodedLabels {
  at::Tensor labels;                     // [n] int64
  std::vector<std::string> class_names;  // index -> name
};

// The distinct cells become the classes: sorted numerically when every cell is an integer,
// otherwise sorted as strings. `where` names the data for messages (a file path).
EncodedLabels encode_labels(const std::vector<std::string>& cells, const std::string& where);

// Maps cells to the index of their class name; throws std::runtime_error naming `where`, the
// data row (1-based) and the known classes for the first cell that is not a known class.
at::Tensor labels_for_classes(const std::vector<std::string>& cells, const std::vector<std::string>& class_names,
                              const std::string& where);

}  // namespace credence::data
