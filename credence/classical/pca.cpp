// Principal component analysis.
#include "credence/classical/pca.h"

#include "credence/classical/validation.h"

#include <stdexcept>

namespace credence::classical {

at::Tensor canonical_signs(const at::Tensor& directions) {
  auto largest = directions.abs().argmax(1, /*keepdim=*/true);
  auto signs = at::sign(directions.gather(1, largest));
  signs = at::where(signs == 0, at::ones_like(signs), signs);
  return directions * signs;
}

PCA PCA::fit(const at::Tensor& x_in, int64_t n_components) {
  if (n_components < 1) throw std::invalid_argument("--components: must be at least 1");
  auto x = checked_matrix(x_in, 2, "pca");
  const int64_t n = x.size(0);
  const int64_t d = x.size(1);
  if (n_components > std::min(n, d)) {
    throw std::invalid_argument("--components: " + std::to_string(n_components) + " exceeds min(rows, features) = " +
                                std::to_string(std::min(n, d)));
  }
  check_not_constant(x, "pca");
  PCA model;
  model.n_samples = n;
  model.mean = x.mean(0);
  auto centred = x - model.mean;
  auto [u, s, vh] = at::linalg_svd(centred, /*full_matrices=*/false);
  (void)u;
  auto variances = s.pow(2) / static_cast<double>(n - 1);
  const double total = variances.sum().item<double>();
  model.components = canonical_signs(vh.slice(0, 0, n_components)).contiguous();
  model.explained_variance = variances.slice(0, 0, n_components).contiguous();
  model.explained_variance_ratio = model.explained_variance / total;
  const int64_t rest = std::min(n, d) - n_components;
  model.noise_variance = rest > 0 ? variances.slice(0, n_components).mean().item<double>() : 0.0;
  check_finite_result(model.components, "pca");
  return model;
}

at::Tensor PCA::transform(const at::Tensor& x) const {
  if (x.dim() != 2 || x.size(1) != mean.size(0)) {
    throw std::invalid_argument("pca: expected " + std::to_string(mean.size(0)) + " features per row");
  }
  return (x.to(at::kDouble) - mean).matmul(components.t());
}

at::Tensor PCA::inverse_transform(const at::Tensor& z) const { return z.to(at::kDouble).matmul(components) + mean; }

}  // namespace credence::classical
