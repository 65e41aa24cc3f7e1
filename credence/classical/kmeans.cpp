// K-means with k-means++ seeding.
#include "credence/classical/kmeans.h"

#include "credence/classical/validation.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace credence::classical {

at::Tensor pairwise_squared_distances(const at::Tensor& x, const at::Tensor& centres) {
  // |x|^2 - 2 x.c + |c|^2: one matrix product, the cost that matters for large n.
  auto distances = x.pow(2).sum(1, /*keepdim=*/true) - 2.0 * x.matmul(centres.t()) + centres.pow(2).sum(1).unsqueeze(0);
  return distances.clamp_min(0.0);
}

at::Tensor kmeans_plus_plus(const at::Tensor& x_in, int64_t k, at::Generator& generator) {
  auto x = checked_matrix(x_in, k, "kmeans++");
  const int64_t n = x.size(0);
  const int64_t trials = 2 + static_cast<int64_t>(std::log(static_cast<double>(k)));
  auto options = x.options();
  std::vector<int64_t> chosen;
  chosen.push_back(at::randint(n, {1}, generator, at::TensorOptions().dtype(at::kLong)).item<int64_t>());
  auto closest = pairwise_squared_distances(x, x.slice(0, chosen[0], chosen[0] + 1)).reshape({n});
  double potential = closest.sum().item<double>();
  for (int64_t c = 1; c < k; ++c) {
    if (!(potential > 0)) {
      throw std::invalid_argument("kmeans: the data has fewer distinct rows than the " + std::to_string(k) + " components");
    }
    // Candidates drawn with probability proportional to their squared distance (D^2 sampling).
    auto draws = at::rand({trials}, generator, options) * potential;
    auto candidates = at::searchsorted(at::cumsum(closest, 0), draws).clamp_max(n - 1);
    auto candidate_distances = at::minimum(pairwise_squared_distances(x, x.index_select(0, candidates)).t(), closest.unsqueeze(0));
    auto potentials = candidate_distances.sum(1);
    const int64_t best = potentials.argmin().item<int64_t>();
    chosen.push_back(candidates[best].item<int64_t>());
    closest = candidate_distances[best].contiguous();
    potential = potentials[best].item<double>();
  }
  auto index = at::tensor(chosen, at::TensorOptions().dtype(at::kLong));
  return x.index_select(0, index).clone();
}

at::Tensor KMeans::squared_distances(const at::Tensor& x) const {
  return pairwise_squared_distances(x.to(at::kDouble), centres);
}

at::Tensor KMeans::predict(const at::Tensor& x) const {
  if (x.dim() != 2 || x.size(1) != centres.size(1)) {
    throw std::invalid_argument("kmeans: expected " + std::to_string(centres.size(1)) + " features per row");
  }
  return squared_distances(x).argmin(1);
}

double KMeans::score_inertia(const at::Tensor& x_in) const {
  auto x = x_in.to(at::kDouble);
  auto labels = predict(x);
  // By differences, not the expanded form: inertia is compared with scikit-learn to 1e-6.
  return (x - centres.index_select(0, labels)).pow(2).sum().item<double>();
}

KMeans KMeans::fit_from(const at::Tensor& x_in, const at::Tensor& initial_centres, int64_t max_iter, double tol) {
  auto x = checked_matrix(x_in, 1, "kmeans");
  const int64_t n = x.size(0);
  const int64_t k = initial_centres.size(0);
  if (initial_centres.dim() != 2 || initial_centres.size(1) != x.size(1)) {
    throw std::invalid_argument("kmeans: initial centres must be [k, " + std::to_string(x.size(1)) + "]");
  }
  if (max_iter < 1) throw std::invalid_argument("kmeans: max_iter must be at least 1");
  const double tolerance = tol * x.var(0, /*unbiased=*/false).mean().item<double>();
  KMeans model;
  model.centres = initial_centres.to(at::kDouble).clone();
  at::Tensor labels_old;
  for (int64_t iteration = 1; iteration <= max_iter; ++iteration) {
    model.n_iter = iteration;
    auto distances = pairwise_squared_distances(x, model.centres);
    auto labels = distances.argmin(1);
    auto counts = at::zeros({k}, x.options()).index_add_(0, labels, at::ones({n}, x.options()));
    auto sums = at::zeros({k, x.size(1)}, x.options()).index_add_(0, labels, x);
    auto centres = sums / counts.clamp_min(1.0).unsqueeze(1);
    auto empty = at::nonzero(counts == 0).reshape({-1});
    if (empty.numel() > 0) {
      // An empty cluster takes the points farthest from their own centres, as scikit-learn does.
      auto own = distances.gather(1, labels.unsqueeze(1)).reshape({n});
      auto far = std::get<1>(own.topk(empty.numel()));
      centres.index_copy_(0, empty, x.index_select(0, far));
    }
    const double shift = (centres - model.centres).pow(2).sum().item<double>();
    model.centres = centres;
    if (labels_old.defined() && at::equal(labels, labels_old)) break;
    if (shift <= tolerance) break;
    labels_old = labels;
  }
  model.inertia = model.score_inertia(x);
  check_finite_result(model.centres, "kmeans");
  return model;
}

KMeans KMeans::fit(const at::Tensor& x_in, const KMeansOptions& options, at::Generator& generator) {
  const int64_t k = options.n_clusters();
  if (k < 1) throw std::invalid_argument("--components: must be at least 1");
  if (options.n_init() < 1) throw std::invalid_argument("--restarts: must be at least 1");
  if (x_in.dim() == 2 && x_in.size(0) < k) {
    throw std::invalid_argument("kmeans: " + std::to_string(x_in.size(0)) + " rows are fewer than the " + std::to_string(k) +
                                " components");
  }
  auto x = checked_matrix(x_in, k, "kmeans");
  const int64_t distinct = distinct_rows(x);
  if (distinct < k) {
    throw std::invalid_argument("kmeans: the data has " + std::to_string(distinct) + " distinct rows, fewer than the " +
                                std::to_string(k) + " components");
  }
  KMeans best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (int64_t run = 0; run < options.n_init(); ++run) {
    auto model = fit_from(x, kmeans_plus_plus(x, k, generator), options.max_iter(), options.tol());
    if (model.inertia < best.inertia) best = model;
  }
  return best;
}

}  // namespace credence::classical
