// Model selection by evidence.
#include "credence/classical/model_selection.h"

#include <limits>
#include <stdexcept>

namespace credence::classical {

void check_full_column_rank(const at::Tensor& design, const std::string& what) {
  const int64_t n = design.size(0);
  const int64_t p = design.size(1);
  if (p == 0) return;
  if (n < p) {
    throw std::invalid_argument(what + ": design matrix is rank-deficient (" + std::to_string(p) + " basis functions from " +
                                std::to_string(n) + " rows)");
  }
  const auto singular = at::linalg_svdvals(design.to(at::kDouble));
  const double largest = singular.max().item<double>();
  const double tolerance = static_cast<double>(std::max(n, p)) * std::numeric_limits<double>::epsilon() * largest;
  const int64_t rank = (singular > tolerance).sum().item<int64_t>();
  if (rank < p) {
    throw std::invalid_argument(what + ": design matrix is rank-deficient (rank " + std::to_string(rank) + " < " +
                                std::to_string(p) + " basis functions)");
  }
}

std::vector<DegreeEvidence> evidence_by_degree(const at::Tensor& x, const at::Tensor& t, const Basis& prototype,
                                               int64_t max_degree, const BayesianLinearRegressionOptions& options,
                                               bool skip_rank_deficient) {
  if (max_degree < 0) throw std::invalid_argument("--degree: the largest degree must be at least 0");
  std::vector<DegreeEvidence> results;
  for (int64_t degree = 0; degree <= max_degree; ++degree) {
    Basis basis = prototype;
    basis.kind = BasisKind::polynomial;
    basis.degree = degree;
    const auto design = basis.expand(x);
    // The intercept column is handled by centring, so rank is checked on the centred design.
    const auto centred = options.fit_intercept() ? design - design.mean(0) : design;
    try {
      check_full_column_rank(centred, "--degree " + std::to_string(degree));
    } catch (const std::invalid_argument&) {
      if (skip_rank_deficient) continue;
      throw;
    }
    const auto model = BayesianLinearRegression::fit(design, t, options);
    results.push_back({degree, model.log_evidence, model.training_rmse, model.alpha, model.beta});
  }
  if (results.empty()) throw std::invalid_argument("--degree: every degree gives a rank-deficient design matrix");
  return results;
}

const DegreeEvidence& best_by_evidence(const std::vector<DegreeEvidence>& results) {
  if (results.empty()) throw std::invalid_argument("model selection: no candidates");
  size_t best = 0;
  for (size_t i = 1; i < results.size(); ++i) {
    if (results[i].log_evidence > results[best].log_evidence) best = i;
  }
  return results[best];
}

}  // namespace credence::classical
