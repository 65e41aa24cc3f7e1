// Kronecker-factored layer curvature: eigendecompositions and the products they make cheap.
#include "credence/inference/kronecker_factors.h"

#include <stdexcept>

namespace credence::inference {

namespace {

std::pair<at::Tensor, at::Tensor> symmetric_eigen(const at::Tensor& matrix) {
  auto m = matrix.to(at::kDouble);
  auto [values, vectors] = at::linalg_eigh(0.5 * (m + m.t()));
  return {values.clamp_min(0.0), vectors};
}

}  // namespace

KroneckerFactors decompose_kronecker_factors(const at::Tensor& output_factor, const at::Tensor& input_factor) {
  if (output_factor.dim() != 2 || input_factor.dim() != 2 || output_factor.size(0) != output_factor.size(1) ||
      input_factor.size(0) != input_factor.size(1)) {
    throw std::invalid_argument("decompose_kronecker_factors: expected two square matrices");
  }
  KroneckerFactors f;
  std::tie(f.output_eigenvalues, f.output_eigenvectors) = symmetric_eigen(output_factor);
  std::tie(f.input_eigenvalues, f.input_eigenvectors) = symmetric_eigen(input_factor);
  return f;
}

at::Tensor kronecker_eigenvalues(const KroneckerFactors& f) {
  return at::outer(f.output_eigenvalues, f.input_eigenvalues).reshape({-1});
}

at::Tensor kronecker_covariance(const KroneckerFactors& f, double prior_precision) {
  auto basis = at::kron(f.output_eigenvectors, f.input_eigenvectors);
  auto inverse = 1.0 / (kronecker_eigenvalues(f) + prior_precision);
  return at::matmul(basis * inverse.unsqueeze(0), basis.t());
}

at::Tensor kronecker_sandwich(const KroneckerFactors& f, double prior_precision, const at::Tensor& left,
                              const at::Tensor& inputs) {
  auto l = at::matmul(left.to(at::kDouble), f.output_eigenvectors);                      // [B, K, out]
  auto q = at::matmul(inputs.to(at::kDouble), f.input_eigenvectors).square();            // [B, in]
  auto inverse = 1.0 / (at::outer(f.output_eigenvalues, f.input_eigenvalues) + prior_precision);  // [out, in]
  auto weight = at::matmul(q, inverse.t());                                               // [B, out]
  return at::matmul(l * weight.unsqueeze(1), l.transpose(1, 2));
}

at::Tensor kronecker_sample(const KroneckerFactors& f, double prior_precision, const at::Tensor& standard_normals) {
  // Sigma^(1/2) = (U_G (x) U_A) D^(-1/2): scale in the eigenbasis, then rotate, U_G E U_A^T.
  auto scale = (at::outer(f.output_eigenvalues, f.input_eigenvalues) + prior_precision).rsqrt();
  auto e = standard_normals.to(at::kDouble) * scale.unsqueeze(0);
  return at::matmul(at::matmul(f.output_eigenvectors, e), f.input_eigenvectors.t());
}

}  // namespace credence::inference
