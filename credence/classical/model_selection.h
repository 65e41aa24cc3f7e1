// Model selection by evidence (Bishop 3.4): fit each polynomial degree and compare
// ln p(t | M), which rewards fit and penalises complexity without held-out data.
#pragma once

#include "credence/classical/basis.h"
#include "credence/classical/bayesian_linear_regression.h"

#include <vector>

namespace credence::classical {

struct DegreeEvidence {
  int64_t degree = 0;
  double log_evidence = 0.0;
  double training_rmse = 0.0;
  double alpha = 0.0;
  double beta = 0.0;
};

// Fits `prototype` (a polynomial basis; its degree is replaced) for every degree
// 0..max_degree on x [n, d], t [n]. Degrees whose design matrix is rank-deficient are
// skipped when `skip_rank_deficient`, otherwise they throw.
std::vector<DegreeEvidence> evidence_by_degree(const at::Tensor& x, const at::Tensor& t, const Basis& prototype,
                                               int64_t max_degree, const BayesianLinearRegressionOptions& options,
                                               bool skip_rank_deficient = false);

// The entry with the highest log evidence.
const DegreeEvidence& best_by_evidence(const std::vector<DegreeEvidence>& results);

// Throws std::invalid_argument naming `what` unless the n x p design matrix has full column
// rank p (numerical rank from its singular values, tolerance max(n, p) * eps * s_max):
// a rank-deficient design has no unique least-squares fit and is a sign of too many basis functions.
void check_full_column_rank(const at::Tensor& design, const std::string& what);

}  // namespace credence::classical
