// Hidden Markov models (Bishop ch. 13; Rabiner 1989) with Gaussian (full, diagonal or
// spherical covariance) or categorical emissions: Baum-Welch with the scaled forward-backward
// recursions, Viterbi decoding, posterior state marginals, and the log-likelihood of a set of
// sequences. Sequences are stored back to back, rows [N, d] with their lengths.
#pragma once

#include "credence/classical/gaussian_mixture.h"

#include <ATen/ATen.h>
#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include <string>
#include <vector>

namespace credence::classical {

enum class EmissionType { gaussian, categorical };
EmissionType emission_type_from_string(const std::string& name);
std::string to_string(EmissionType type);

// The lengths of the contiguous runs of equal ids, in order. Throws std::invalid_argument
// naming `where`, the line (data row + 1, after the header) and the id when a sequence's rows
// are not contiguous (an id comes back after another one).
std::vector<int64_t> sequence_lengths(const std::vector<std::string>& ids, const std::string& where);

struct HiddenMarkovModelOptions {
  explicit HiddenMarkovModelOptions(int64_t n_states) : n_states_(n_states) {}
  TORCH_ARG(int64_t, n_states);
  TORCH_ARG(EmissionType, emission) = EmissionType::gaussian;
  TORCH_ARG(CovarianceType, covariance_type) = CovarianceType::full;
  TORCH_ARG(int64_t, n_symbols) = 0;  // categorical: 0 means the largest symbol + 1
  TORCH_ARG(int64_t, max_iter) = 100;
  // Stop when the log-likelihood per observation changes by less than tol.
  TORCH_ARG(double, tol) = 1e-6;
  // Starts (k-means with k-means++ seeds for Gaussian emissions, random for categorical); the best final log-likelihood is kept.
  TORCH_ARG(int64_t, n_init) = 1;
  TORCH_ARG(double, reg_covar) = 1e-6;  // added to the covariance diagonals in every M-step
};

struct HiddenMarkovModel {
  EmissionType emission = EmissionType::gaussian;
  CovarianceType covariance_type = CovarianceType::full;
  at::Tensor start;       // pi [K], p(z_1 = k)
  at::Tensor transition;  // A [K, K], A_ij = p(z_t+1 = j | z_t = i)
  at::Tensor means;       // Gaussian: [K, d]
  at::Tensor covariances; // Gaussian: full [K, d, d], diag [K, d], spherical [K]
  at::Tensor emission_probabilities;  // categorical: [K, V]
  std::vector<double> log_likelihood_history;  // total log-likelihood before each M-step; never decreases
  int64_t n_iter = 0;
  bool converged = false;

  // Validates shapes, probabilities (non-negative rows summing to 1) and covariances.
  static HiddenMarkovModel gaussian(const at::Tensor& start, const at::Tensor& transition, const at::Tensor& means,
                                    const at::Tensor& covariances, CovarianceType type);
  static HiddenMarkovModel categorical(const at::Tensor& start, const at::Tensor& transition, const at::Tensor& emission_probabilities);

  // Baum-Welch from `n_init` starts. x: [N, d] (Gaussian) or [N] / [N, 1] whole numbers (categorical);
  // lengths sum to N. Throws std::invalid_argument for a zero-length sequence, more states than
  // observations (or distinct rows), symbols that are not whole numbers in range.
  static HiddenMarkovModel fit(const at::Tensor& x, const std::vector<int64_t>& lengths, const HiddenMarkovModelOptions& options,
                               at::Generator& generator);
  // Baum-Welch from the parameters of `start` (options' emission settings must agree).
  static HiddenMarkovModel fit_from(const at::Tensor& x, const std::vector<int64_t>& lengths, const HiddenMarkovModel& start,
                                    const HiddenMarkovModelOptions& options);

  int64_t n_states() const { return start.size(0); }
  int64_t n_features() const;  // d, or 1 for categorical
  int64_t n_symbols() const { return emission_probabilities.defined() ? emission_probabilities.size(1) : 0; }
  int64_t n_parameters() const;

  at::Tensor emission_log_likelihood(const at::Tensor& x) const;  // ln p(x_t | z_t = k) [N, K]

  struct Posterior {
    at::Tensor marginals;                   // gamma [N, K], p(z_t = k | x of its sequence)
    at::Tensor transition_counts;           // sum over t of xi_t [K, K]
    std::vector<double> log_likelihoods;    // ln p(sequence), one per sequence
    double total_log_likelihood = 0.0;
  };
  // The forward-backward recursions with per-step scaling (Bishop 13.2.4).
  Posterior posterior(const at::Tensor& x, const std::vector<int64_t>& lengths) const;
  // The most probable state path of each sequence (int64 [N]) and its log-probability per sequence.
  std::pair<at::Tensor, std::vector<double>> viterbi(const at::Tensor& x, const std::vector<int64_t>& lengths) const;
  double log_likelihood(const at::Tensor& x, const std::vector<int64_t>& lengths) const;
};

}  // namespace credence::classical
