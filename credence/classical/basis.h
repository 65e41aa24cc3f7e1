// Basis functions phi(x) for linear-in-the-parameters regression (Bishop 3.1):
// identity, per-feature polynomials, Gaussian radial basis functions.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace credence::classical {

enum class BasisKind { identity, polynomial, rbf };
BasisKind basis_kind_from_string(const std::string& name);
std::string to_string(BasisKind kind);

// A fixed (not learned) map from d inputs to p features. The inputs are first shifted and
// scaled (input_mean, input_scale; identity when undefined) so that powers and distances
// are taken on standardised data, where x^9 stays representable.
struct Basis {
  BasisKind kind = BasisKind::identity;
  // polynomial: x_j, x_j^2, ..., x_j^degree for every input j (no cross terms), p = d * degree.
  int64_t degree = 1;
  // rbf: exp(-||x - c_k||^2 / (2 width^2)) for every centre c_k ([m, d]), p = m.
  at::Tensor centres;
  double width = 1.0;
  // A leading column of ones. Off by default: the regressions centre the data to fit
  // an intercept with a flat prior instead; Bishop's examples put the bias in the basis.
  bool include_bias = false;
  at::Tensor input_mean;   // [d] or undefined
  at::Tensor input_scale;  // [d] or undefined

  static Basis identity();
  static Basis polynomial(int64_t degree, bool include_bias = false);
  static Basis rbf(const at::Tensor& centres, double width, bool include_bias = false);

  // Sets input_mean / input_scale from the rows of x (scale 1 for constant columns).
  void standardise_inputs(const at::Tensor& x);

  // x: [n, d] -> design matrix [n, p], float64.
  at::Tensor expand(const at::Tensor& x) const;
  int64_t output_features(int64_t input_features) const;
};

}  // namespace credence::classical
