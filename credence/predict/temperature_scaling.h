// Temperature scaling (Guo et al. 2017): one scalar T > 0 dividing the logits, fitted by minimising
// the negative log-likelihood of held-out labels.
#pragma once

#include <ATen/ATen.h>

namespace credence::predict {

// Mean -log of the label's probability under (1/S) sum_s softmax(logits[s] / T).
// logit_samples: [S, N, K] (S = 1 for a deterministic network); labels: [N] int64.
double tempered_negative_log_likelihood(const at::Tensor& logit_samples, const at::Tensor& labels, double temperature);

// The same per row: -log of each label's probability, [N] double.
at::Tensor tempered_negative_log_likelihoods(const at::Tensor& logit_samples, const at::Tensor& labels, double temperature);

struct TemperatureFit {
  double temperature = 1.0;  // the temperature to apply: the minimiser if kept, else 1
  double nll_before = 0.0;   // at T = 1
  double nll_after = 0.0;    // at `temperature`
  double fitted_temperature = 1.0;        // the minimiser of the NLL on these labels, kept or not
  double improvement = 0.0;               // NLL at T = 1 minus NLL at the minimiser
  double improvement_standard_error = 0.0;  // of that mean, from the per-row differences
  bool kept = false;
};

// Golden-section search on log T over [1/20, 20] (the NLL is unimodal in log T for one sample set).
// The minimiser is kept only when it lowers the mean NLL by more than kTemperatureEvidence standard
// errors of the per-row differences; otherwise T = 1. A smaller gain is within what the choice of
// validation rows explains: applied to other rows it is as likely a loss (two MNIST ensembles
// whose validation NLL fell by 0.0011 and 0.0002 had a higher test NLL with the fitted T).
constexpr double kTemperatureEvidence = 2.0;
TemperatureFit fit_temperature(const at::Tensor& logit_samples, const at::Tensor& labels);

}  // namespace credence::predict
