// Temperature scaling (Guo et al. 2017): one scalar T > 0 dividing the logits, fitted by minimising
// the negative log-likelihood of held-out labels.
#pragma once

#include <ATen/ATen.h>

namespace credence::predict {

// Mean -log of the label's probability under (1/S) sum_s softmax(logits[s] / T).
// logit_samples: [S, N, K] (S = 1 for a deterministic network); labels: [N] int64.
double tempered_negative_log_likelihood(const at::Tensor& logit_samples, const at::Tensor& labels, double temperature);

struct TemperatureFit {
  double temperature = 1.0;
  double nll_before = 0.0;  // at T = 1
  double nll_after = 0.0;   // at the fitted T
};

// Golden-section search on log T over [1/20, 20] (the NLL is unimodal in log T for one sample set);
// the fitted T never gives a higher NLL on these labels than T = 1, which is kept otherwise.
TemperatureFit fit_temperature(const at::Tensor& logit_samples, const at::Tensor& labels);

}  // namespace credence::predict
