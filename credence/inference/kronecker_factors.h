// Kronecker-factored curvature of one dense layer (KFAC; Martens & Grosse 2015, Ritter et al. 2018):
// the layer's GGN block over vec([W | b]) (row-major) approximated by G (x) A, A = E[a a^T] of the
// layer's inputs with a column of ones, G = sum over rows of g^T Lambda g, g the outputs' gradients
// with respect to the layer's pre-activation. Kept as the two eigendecompositions, which give
// (G (x) A + delta I)^-1 exactly for every delta.
#pragma once

#include <ATen/ATen.h>

namespace credence::inference {

struct KroneckerFactors {
  at::Tensor output_eigenvectors, output_eigenvalues;  // of G [out, out], float64
  at::Tensor input_eigenvectors, input_eigenvalues;    // of A [in, in], float64
  int64_t out_features() const { return output_eigenvalues.size(0); }
  int64_t in_features() const { return input_eigenvalues.size(0); }  // with the bias column
};

// The eigendecompositions of symmetric G and A (eigenvalues clamped at zero against rounding).
KroneckerFactors decompose_kronecker_factors(const at::Tensor& output_factor, const at::Tensor& input_factor);

// The eigenvalues of G (x) A in the order of vec([W | b]) row-major: [out * in].
at::Tensor kronecker_eigenvalues(const KroneckerFactors& factors);

// (G (x) A + delta I)^-1 as a dense [out * in, out * in] matrix (tests and small layers).
at::Tensor kronecker_covariance(const KroneckerFactors& factors, double prior_precision);

// Per row, M Sigma M^T for M = left[b] (x) inputs[b]: left [B, K, out], inputs [B, in] -> [B, K, K]
// without forming Sigma: (left U_G)[k, i] (inputs U_A)[j] weighed by 1 / (lambda_G,i lambda_A,j + delta).
at::Tensor kronecker_sandwich(const KroneckerFactors& factors, double prior_precision, const at::Tensor& left,
                              const at::Tensor& inputs);

// Draws from N(0, Sigma) shaped as the layer's [W | b]: standard normals [S, out, in] -> [S, out, in].
at::Tensor kronecker_sample(const KroneckerFactors& factors, double prior_precision, const at::Tensor& standard_normals);

}  // namespace credence::inference
