// Scores of generated images from a classifier's view of them: the classifier-based Inception
// Score (Salimans et al. 2016, with the classifier in place of Inception) and the Fréchet distance
// between Gaussian fits of the classifier's features (Heusel et al. 2017's FID, same substitution).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace credence::metrics {

// exp(E_x KL(p(y | x) || p(y))) for class probabilities [N, K], p(y) the mean row, computed on
// `splits` equal consecutive parts of the rows (the last takes the remainder): the mean over the
// parts and their standard deviation (Salimans et al.'s 10 splits; 0 for one split). It lies in
// [1, K]: 1 when every row is the same, K when the rows are confident and spread evenly over the
// classes. Throws std::invalid_argument for fewer rows than splits or rows that are not probabilities.
struct InceptionScore {
  double mean = 0.0, standard_deviation = 0.0;
  int64_t splits = 1;
};
InceptionScore inception_score(const at::Tensor& probabilities, int64_t splits = 10);

// ||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^{1/2}) between two Gaussians. The trace of the
// square root is computed as that of (S_a^{1/2} S_b S_a^{1/2})^{1/2}, a symmetric positive
// semi-definite matrix with the same eigenvalues as S_a S_b, by two symmetric eigendecompositions
// (eigenvalues below zero from rounding are taken as zero), in double precision.
double frechet_distance(const at::Tensor& mean_a, const at::Tensor& covariance_a, const at::Tensor& mean_b,
                        const at::Tensor& covariance_b);
// The same between the Gaussian fits (mean, unbiased covariance) of two sets of feature rows [N, d]
// and [M, d], each with at least two rows.
double frechet_distance_of_features(const at::Tensor& features_a, const at::Tensor& features_b);

}  // namespace credence::metrics
