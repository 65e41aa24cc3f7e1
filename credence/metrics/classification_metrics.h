// Classification metrics: accuracy, NLL, Brier score, and reliability bins with ECE and MCE.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace credence::metrics {

// Every function here takes
//   probabilities: [N, K] floating point, rows of class probabilities (already averaged over Monte Carlo samples),
//                  each entry finite and in [0, 1] (1e-6 of slack for rounding); rows are not checked to sum to 1;
//   labels:        [N] integer, each in 0..K-1,
// with N >= 1 and K >= 1, on any device; the work is done in float64 on the CPU. Anything else throws
// std::invalid_argument.

// Fraction of rows whose argmax equals the label (ties go to the lowest index, as at::argmax).
double accuracy(const at::Tensor& probabilities, const at::Tensor& labels);

// Mean over rows of -log p[label], with p[label] clamped below at 1e-12 so that a zero probability on the true class
// costs -log(1e-12) ~ 27.63 instead of infinity.
double negative_log_likelihood(const at::Tensor& probabilities, const at::Tensor& labels);

// Mean over rows of sum_k (p_k - onehot(label)_k)^2: the multi-class form of Brier (1950), range [0, 2] for rows that
// sum to 1 (0 for a certain right answer, 2 for a certain wrong one).
double brier_score(const at::Tensor& probabilities, const at::Tensor& labels);

struct ReliabilityBin {
  double lower = 0, upper = 0;  // confidence interval of the bin [lower, upper) (the last bin includes 1)
  int64_t count = 0;
  double mean_confidence = 0;  // 0 when empty
  double accuracy = 0;         // 0 when empty
};

struct Calibration {
  std::vector<ReliabilityBin> bins;
  double expected_calibration_error = 0;  // sum_b (n_b / N) |acc_b - conf_b|
  double maximum_calibration_error = 0;   // max over non-empty bins of |acc_b - conf_b|
};

// Confidence = max probability, prediction = argmax; `bins` (>= 1) equal-width bins on [0, 1] (15 by default,
// Guo et al. 2017), bin b covering [b / bins, (b + 1) / bins) with the edges computed as double divisions. A confidence
// exactly on an inner edge goes to the upper bin; 1.0 (or anything above it within the slack) goes to the last bin.
Calibration calibration(const at::Tensor& probabilities, const at::Tensor& labels, int64_t bins = 15);

}  // namespace credence::metrics
