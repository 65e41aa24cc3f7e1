// K-means (Bishop 9.1): Lloyd's algorithm from k-means++ seeds (Arthur & Vassilvitskii 2007),
// best of several restarts by inertia (the sum of squared distances to the nearest centre).
#pragma once

#include <ATen/ATen.h>
#include <ATen/core/Generator.h>
#include <torch/arg.h>

namespace credence::classical {

struct KMeansOptions {
  explicit KMeansOptions(int64_t n_clusters) : n_clusters_(n_clusters) {}
  TORCH_ARG(int64_t, n_clusters);
  TORCH_ARG(int64_t, n_init) = 10;
  TORCH_ARG(int64_t, max_iter) = 300;
  // Stop when the squared centre movement falls to tol times the mean feature variance
  // (scikit-learn's rule), or when no label changes.
  TORCH_ARG(double, tol) = 1e-4;
};

struct KMeans {
  at::Tensor centres;  // [k, d]
  double inertia = 0.0;
  int64_t n_iter = 0;

  // Throws std::invalid_argument when x has fewer distinct rows than clusters, or NaN.
  static KMeans fit(const at::Tensor& x, const KMeansOptions& options, at::Generator& generator);
  // Lloyd's algorithm from the given centres [k, d] (one run, no restarts).
  static KMeans fit_from(const at::Tensor& x, const at::Tensor& initial_centres, int64_t max_iter = 300, double tol = 1e-4);

  at::Tensor squared_distances(const at::Tensor& x) const;  // [n, k]
  at::Tensor predict(const at::Tensor& x) const;            // int64 labels [n]
  double score_inertia(const at::Tensor& x) const;
};

// k-means++ seeding with scikit-learn's greedy variant: 2 + ln k candidates per centre,
// keeping the one that most reduces the potential. Returns k rows of x.
at::Tensor kmeans_plus_plus(const at::Tensor& x, int64_t k, at::Generator& generator);

// Squared Euclidean distances [n, k] between the rows of x and of centres (clamped at 0).
at::Tensor pairwise_squared_distances(const at::Tensor& x, const at::Tensor& centres);

}  // namespace credence::classical
