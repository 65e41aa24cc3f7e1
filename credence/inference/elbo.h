// The minibatch ELBO objective, per data point.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace credence::inference {

struct ElboTerms {
  at::Tensor loss;                 // what the optimiser minimises
  at::Tensor negative_log_likelihood;  // mean over the minibatch
  at::Tensor kl;                   // KL(q || p) of the whole network
};

// Blundell et al.'s minibatch cost F_i = pi_i KL - log p(D_i | w), rescaled by M / N so
// that it reads per data point: loss = mean NLL_i + pi_i M KL / N. With uniform pi_i
// this is mean NLL + KL / N, whose sum over an epoch is the negative ELBO / N.
// The factor of the KL term in that loss: pi_i M / N.
double elbo_kl_scale(double kl_weight, int64_t num_batches, int64_t num_train);

ElboTerms elbo_loss(const at::Tensor& mean_negative_log_likelihood, const at::Tensor& kl, double kl_weight,
                    int64_t num_batches, int64_t num_train);

}  // namespace credence::inference
