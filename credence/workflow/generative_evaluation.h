// What `credence evaluate` reports for an auto-encoder or a VAE on test images, and the
// reconstruction grid it draws. The images are binarised once with a stated seed (a fixed
// binarisation, as Burda et al. evaluate), so two evaluations of one model on one set agree.
// Out-of-distribution scoring ranks rows by minus the model's (importance-weighted) log-likelihood,
// or minus the auto-encoder's reconstruction log-likelihood, the other set being the positive class;
// a likelihood can rank OOD data as the more likely (Nalisnick et al. 2019), and the report says
// what it finds: an AUROC below 0.5 means the other set looked the more likely.
#pragma once

#include "credence/generative/autoencoder.h"
#include "credence/generative/variational_autoencoder.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdint>

namespace credence::workflow {

// Each pixel of images in [0, 1] a Bernoulli draw of its grey value, from a generator seeded `seed`.
at::Tensor fixed_binarisation(const at::Tensor& images, std::uint64_t seed);

struct GenerativeEvaluationOptions {
  int64_t importance_samples = 5000;  // the VAE's log-likelihood estimate
  std::uint64_t seed = 0;             // of the importance samples and the ELBO's draws
};

// Keys: rows, importance_samples, elbo, elbo_standard_error, log_likelihood,
// log_likelihood_standard_error (nats per row); with `ood` defined also ood_rows,
// ood_log_likelihood, ood_log_likelihood_standard_error, auroc and aupr.
nlohmann::json evaluate_vae(generative::VariationalAutoencoder& vae, const at::Tensor& test, const at::Tensor& ood,
                            const GenerativeEvaluationOptions& options);
// Keys: rows, reconstruction_log_likelihood, reconstruction_log_likelihood_standard_error; with
// `ood` also ood_rows, ood_reconstruction_log_likelihood, auroc and aupr.
nlohmann::json evaluate_autoencoder(generative::Autoencoder& autoencoder, const at::Tensor& test, const at::Tensor& ood);

// The first `count` rows of `images` [N, C, H, W] and their reconstructions in alternating rows of
// `columns` images (originals, then their reconstructions below), [2 * count, C, H, W], in the
// order write_png_grid lays out; a last row that is not full is padded with blank images.
at::Tensor interleave_reconstructions(const at::Tensor& originals, const at::Tensor& reconstructions, int64_t columns);

}  // namespace credence::workflow
