// The names of the posterior methods.
#include "credence/workflow/posterior_method.h"

#include <algorithm>
#include <stdexcept>

namespace credence::workflow {

const std::vector<std::string>& posterior_method_names() {
  static const std::vector<std::string> names{"laplace", "swag", "hmc", "sgld", "psgld", "sghmc", "psghmc", "svgd"};
  return names;
}

bool is_posterior_method(const std::string& name) {
  const auto& names = posterior_method_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

void check_posterior_method(const std::string& name) {
  if (name.empty() || is_posterior_method(name)) return;
  std::string known;
  for (const auto& n : posterior_method_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("--method: unknown posterior method '" + name + "' (expected one of " + known + ")");
}

}  // namespace credence::workflow
