// The Inception Score and the Fréchet distance.
#include "credence/metrics/generative_scores.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace credence::metrics {

InceptionScore inception_score(const at::Tensor& probabilities_in, int64_t splits) {
  if (probabilities_in.dim() != 2 || probabilities_in.size(1) < 1) {
    throw std::invalid_argument("inception_score: expected class probabilities [rows, classes]");
  }
  if (splits < 1 || probabilities_in.size(0) < splits) {
    throw std::invalid_argument("inception_score: " + std::to_string(probabilities_in.size(0)) + " rows cannot make " +
                                std::to_string(splits) + " splits");
  }
  const auto p = probabilities_in.to(at::kDouble);
  if (!at::isfinite(p).all().item<bool>() || (p < 0.0).any().item<bool>() ||
      !at::allclose(p.sum(1), at::ones({p.size(0)}, p.options()), 1e-6, 1e-4)) {
    throw std::invalid_argument("inception_score: the rows are not probabilities (non-negative, summing to 1)");
  }
  const int64_t n = p.size(0), part = n / splits;
  std::vector<double> scores;
  for (int64_t s = 0; s < splits; ++s) {
    const auto rows = p.slice(0, s * part, s + 1 == splits ? n : (s + 1) * part);
    const auto marginal = rows.mean(0, /*keepdim=*/true);
    // xlogy keeps 0 log 0 = 0 for classes a row gives no probability.
    const auto kl = (at::xlogy(rows, rows) - at::xlogy(rows, marginal.expand_as(rows))).sum(1);
    scores.push_back(std::exp(kl.mean().item<double>()));
  }
  InceptionScore result;
  result.splits = splits;
  for (double s : scores) result.mean += s / static_cast<double>(splits);
  if (splits > 1) {
    double squares = 0.0;
    for (double s : scores) squares += (s - result.mean) * (s - result.mean);
    result.standard_deviation = std::sqrt(squares / static_cast<double>(splits));
  }
  return result;
}

namespace {

// The square root of a symmetric positive semi-definite matrix.
at::Tensor symmetric_square_root(const at::Tensor& matrix) {
  const auto [eigenvalues, eigenvectors] = at::linalg_eigh(0.5 * (matrix + matrix.t()));
  return at::matmul(eigenvectors * eigenvalues.clamp_min(0.0).sqrt().unsqueeze(0), eigenvectors.t());
}

}  // namespace

double frechet_distance(const at::Tensor& mean_a_in, const at::Tensor& covariance_a_in, const at::Tensor& mean_b_in,
                        const at::Tensor& covariance_b_in) {
  const auto mean_a = mean_a_in.to(at::kDouble).flatten(), mean_b = mean_b_in.to(at::kDouble).flatten();
  const auto covariance_a = covariance_a_in.to(at::kDouble), covariance_b = covariance_b_in.to(at::kDouble);
  const int64_t d = mean_a.size(0);
  for (const auto* c : {&covariance_a, &covariance_b}) {
    if (mean_b.size(0) != d || c->dim() != 2 || c->size(0) != d || c->size(1) != d) {
      throw std::invalid_argument("frechet_distance: expected two means [" + std::to_string(d) + "] and covariances [" +
                                  std::to_string(d) + ", " + std::to_string(d) + "]");
    }
  }
  const auto root_a = symmetric_square_root(covariance_a);
  const auto middle = at::matmul(at::matmul(root_a, covariance_b), root_a);
  const auto eigenvalues = at::linalg_eigvalsh(0.5 * (middle + middle.t()));
  const double trace_root = eigenvalues.clamp_min(0.0).sqrt().sum().item<double>();
  const double difference = (mean_a - mean_b).pow(2).sum().item<double>();
  return difference + covariance_a.trace().item<double>() + covariance_b.trace().item<double>() - 2.0 * trace_root;
}

double frechet_distance_of_features(const at::Tensor& features_a, const at::Tensor& features_b) {
  const auto fit = [](const at::Tensor& rows_in, const char* name) {
    if (rows_in.dim() != 2 || rows_in.size(0) < 2) {
      throw std::invalid_argument(std::string("frechet_distance: the ") + name + " features need at least two rows [N, d]");
    }
    const auto rows = rows_in.to(at::kDouble);
    const auto mean = rows.mean(0);
    const auto centred = rows - mean;
    return std::make_pair(mean, at::matmul(centred.t(), centred) / static_cast<double>(rows.size(0) - 1));
  };
  const auto [mean_a, covariance_a] = fit(features_a, "first");
  const auto [mean_b, covariance_b] = fit(features_b, "second");
  return frechet_distance(mean_a, covariance_a, mean_b, covariance_b);
}

}  // namespace credence::metrics
