// Principal component analysis (Bishop 12.1): the directions of largest variance from the
// singular value decomposition of the centred data, with scikit-learn's conventions
// (variances divide by n - 1; each component's largest entry is made positive).
#pragma once

#include <ATen/ATen.h>

namespace credence::classical {

struct PCA {
  at::Tensor mean;                      // [d]
  at::Tensor components;                // [q, d], orthonormal rows, by decreasing variance
  at::Tensor explained_variance;        // [q]
  at::Tensor explained_variance_ratio;  // [q]
  // The average variance of the discarded directions: sigma^2 of the matching probabilistic PCA.
  double noise_variance = 0.0;
  int64_t n_samples = 0;

  // Throws std::invalid_argument when q is not in 1..min(n, d), for NaN, or constant data.
  static PCA fit(const at::Tensor& x, int64_t n_components);
  at::Tensor transform(const at::Tensor& x) const;          // [n, q]
  at::Tensor inverse_transform(const at::Tensor& z) const;  // [n, d]
};

// Flips the sign of each row of `directions` [q, d] so that its largest-magnitude entry is
// positive: eigenvectors are defined up to sign, and saved models should not depend on LAPACK's choice.
at::Tensor canonical_signs(const at::Tensor& directions);

}  // namespace credence::classical
