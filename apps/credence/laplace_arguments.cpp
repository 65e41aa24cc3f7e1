// The Laplace options of the command line.
#include "laplace_arguments.h"

#include "cli_support.h"

#include <cmath>

namespace credence::cli {

void add_laplace_options(CLI::App* c, LaplaceArguments& a) {
  c->add_option("--laplace-subset", a.subset,
                "Laplace: auto (all when the network has at most --max-full-parameters weights, else "
                "last-layer) | all | last-layer")
      ->capture_default_str();
  c->add_option("--hessian", a.hessian, "Laplace: full | diag | kfac (the GGN's structure)")->capture_default_str();
  c->add_option("--prior-precision", a.prior_precision,
                "Laplace: auto (maximise the marginal likelihood) or a positive value")
      ->capture_default_str();
  c->add_option("--predictive", a.predictive, "Laplace: glm (linearised) | mc (weight samples through the network)")
      ->capture_default_str();
  c->add_option("--max-full-parameters", a.max_full_parameters, "Laplace: the most weights a full Hessian may cover")
      ->capture_default_str();
}

inference::LaplaceOptions laplace_options(const LaplaceArguments& a) {
  double prior_precision = 0.0;
  if (a.prior_precision != "auto") {
    try {
      size_t used = 0;
      prior_precision = std::stod(a.prior_precision, &used);
      if (used != a.prior_precision.size()) prior_precision = -1.0;
    } catch (const std::exception&) {
      prior_precision = -1.0;
    }
    require(prior_precision > 0.0 && std::isfinite(prior_precision), "--prior-precision",
            "expected auto or a positive number, got '" + a.prior_precision + "'");
  }
  require(a.max_full_parameters > 0, "--max-full-parameters", "expected a positive count");
  return inference::LaplaceOptions()
      .subset(parse_choice("--laplace-subset", a.subset, inference::laplace_subset_from_string))
      .hessian(parse_choice("--hessian", a.hessian, inference::hessian_structure_from_string))
      .prior_precision(prior_precision)
      .predictive(parse_choice("--predictive", a.predictive, inference::laplace_predictive_from_string))
      .max_full_parameters(a.max_full_parameters);
}

}  // namespace credence::cli
