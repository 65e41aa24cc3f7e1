// Test scores and reconstructions of the auto-encoder and the VAE.
#include "credence/workflow/generative_evaluation.h"

#include "credence/core/rng.h"
#include "credence/generative/autoencoder_training.h"
#include "credence/generative/vae_training.h"
#include "credence/metrics/ood_detection.h"

#include <stdexcept>
#include <string>

namespace credence::workflow {

at::Tensor fixed_binarisation(const at::Tensor& images, std::uint64_t seed) {
  auto generator = core::make_generator(seed);
  return at::bernoulli(images.clamp(0.0, 1.0), generator);
}

namespace {

// Higher means more likely out of distribution: minus the per-row log-likelihoods.
void add_ood_scores(nlohmann::json& report, const at::Tensor& test_log_likelihood, const at::Tensor& ood_log_likelihood) {
  report["auroc"] = metrics::area_under_roc(-test_log_likelihood, -ood_log_likelihood);
  report["aupr"] = metrics::area_under_precision_recall(-test_log_likelihood, -ood_log_likelihood);
}

}  // namespace

nlohmann::json evaluate_vae(generative::VariationalAutoencoder& vae, const at::Tensor& test, const at::Tensor& ood,
                            const GenerativeEvaluationOptions& options) {
  auto generator = core::make_generator(options.seed);
  const auto scores = generative::score_vae(vae, test, options.importance_samples, generator);
  nlohmann::json report = {{"rows", scores.rows},
                           {"importance_samples", scores.importance_samples},
                           {"elbo", scores.elbo},
                           {"elbo_standard_error", scores.elbo_standard_error},
                           {"log_likelihood", scores.log_likelihood},
                           {"log_likelihood_standard_error", scores.log_likelihood_standard_error}};
  if (ood.defined()) {
    const auto other = generative::score_vae(vae, ood, options.importance_samples, generator);
    report["ood_rows"] = other.rows;
    report["ood_log_likelihood"] = other.log_likelihood;
    report["ood_log_likelihood_standard_error"] = other.log_likelihood_standard_error;
    add_ood_scores(report, scores.log_likelihood_per_row, other.log_likelihood_per_row);
  }
  return report;
}

nlohmann::json evaluate_autoencoder(generative::Autoencoder& autoencoder, const at::Tensor& test, const at::Tensor& ood) {
  const auto scores = generative::score_autoencoder(autoencoder, test);
  nlohmann::json report = {{"rows", scores.rows},
                           {"reconstruction_log_likelihood", scores.reconstruction_log_likelihood},
                           {"reconstruction_log_likelihood_standard_error", scores.standard_error}};
  if (ood.defined()) {
    const auto other = generative::score_autoencoder(autoencoder, ood);
    report["ood_rows"] = other.rows;
    report["ood_reconstruction_log_likelihood"] = other.reconstruction_log_likelihood;
    add_ood_scores(report, scores.per_row, other.per_row);
  }
  return report;
}

at::Tensor interleave_reconstructions(const at::Tensor& originals, const at::Tensor& reconstructions, int64_t columns) {
  if (originals.dim() != 4 || originals.sizes() != reconstructions.sizes()) {
    throw std::invalid_argument("interleave_reconstructions: expected originals and reconstructions of one shape [N, C, H, W]");
  }
  if (columns < 1) throw std::invalid_argument("interleave_reconstructions: expected at least one column");
  const int64_t n = originals.size(0), rows = (n + columns - 1) / columns;
  auto sizes = originals.sizes().vec();
  sizes[0] = rows * columns;
  auto padded_originals = at::ones(sizes, originals.options()), padded_reconstructions = at::ones(sizes, originals.options());
  padded_originals.slice(0, 0, n).copy_(originals);
  padded_reconstructions.slice(0, 0, n).copy_(reconstructions.to(originals.scalar_type()));
  std::vector<int64_t> grid{rows, columns};
  grid.insert(grid.end(), sizes.begin() + 1, sizes.end());
  // [rows, 2, columns, C, H, W]: each row of originals followed by its row of reconstructions.
  auto out = at::stack({padded_originals.view(grid), padded_reconstructions.view(grid)}, 1);
  sizes[0] = 2 * rows * columns;
  return out.reshape(sizes);
}

}  // namespace credence::workflow
