// The minibatch ELBO objective.
#include "credence/inference/elbo.h"

namespace credence::inference {

double elbo_kl_scale(double kl_weight, int64_t num_batches, int64_t num_train) {
  return kl_weight * static_cast<double>(num_batches) / static_cast<double>(num_train);
}

ElboTerms elbo_loss(const at::Tensor& mean_negative_log_likelihood, const at::Tensor& kl, double kl_weight,
                    int64_t num_batches, int64_t num_train) {
  const double kl_scale = elbo_kl_scale(kl_weight, num_batches, num_train);
  return {mean_negative_log_likelihood + kl_scale * kl, mean_negative_log_likelihood, kl};
}

}  // namespace credence::inference
