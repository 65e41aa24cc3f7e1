// Classification metrics.
#include "credence/metrics/classification_metrics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace credence::metrics {

namespace {

// Slack on the [0, 1] range of each probability, for sums and averages rounded in float32.
constexpr double kProbabilitySlack = 1e-6;
// Lower clamp on the probability of the true class in the NLL.
constexpr double kProbabilityFloor = 1e-12;

struct Checked {
  at::Tensor probabilities;  // [N, K] float64, CPU, contiguous
  at::Tensor labels;         // [N] int64, CPU, contiguous
};

[[noreturn]] void fail(const char* function, const std::string& what) {
  throw std::invalid_argument(std::string(function) + ": " + what);
}

Checked check(const at::Tensor& probabilities, const at::Tensor& labels, const char* function) {
  if (!probabilities.defined()) fail(function, "probabilities are undefined");
  if (!labels.defined()) fail(function, "labels are undefined");
  if (probabilities.dim() != 2) {
    fail(function, "probabilities must be [N, K], got " + std::to_string(probabilities.dim()) + " dimensions");
  }
  if (!at::isFloatingType(probabilities.scalar_type())) fail(function, "probabilities must be floating point");
  if (labels.dim() != 1) fail(function, "labels must be [N], got " + std::to_string(labels.dim()) + " dimensions");
  if (!at::isIntegralType(labels.scalar_type(), /*includeBool=*/false)) fail(function, "labels must be integers");
  const int64_t n = probabilities.size(0);
  const int64_t k = probabilities.size(1);
  if (labels.size(0) != n) {
    fail(function, std::to_string(n) + " rows of probabilities but " + std::to_string(labels.size(0)) + " labels");
  }
  if (n == 0) fail(function, "no rows");
  if (k == 0) fail(function, "no classes");

  Checked c{probabilities.to(at::kCPU, at::kDouble).contiguous(), labels.to(at::kCPU, at::kLong).contiguous()};
  if (!at::isfinite(c.probabilities).all().item<bool>()) fail(function, "probabilities contain a non-finite value");
  const double lowest = c.probabilities.min().item<double>();
  const double highest = c.probabilities.max().item<double>();
  if (lowest < -kProbabilitySlack || highest > 1.0 + kProbabilitySlack) {
    fail(function, "probabilities must lie in [0, 1], got values in [" + std::to_string(lowest) + ", " +
                       std::to_string(highest) + "]");
  }
  const int64_t smallest_label = c.labels.min().item<int64_t>();
  const int64_t largest_label = c.labels.max().item<int64_t>();
  if (smallest_label < 0 || largest_label >= k) {
    fail(function, "labels must lie in 0.." + std::to_string(k - 1) + ", got values in " +
                       std::to_string(smallest_label) + ".." + std::to_string(largest_label));
  }
  return c;
}

// Per row: the first index of the largest probability, and that probability.
struct Prediction {
  int64_t label = 0;
  double confidence = 0;
};

std::vector<Prediction> predict(const at::Tensor& probabilities) {
  auto p = probabilities.accessor<double, 2>();
  std::vector<Prediction> out(static_cast<size_t>(p.size(0)));
  for (int64_t i = 0; i < p.size(0); ++i) {
    Prediction best{0, p[i][0]};
    for (int64_t j = 1; j < p.size(1); ++j) {
      if (p[i][j] > best.confidence) best = {j, p[i][j]};
    }
    out[static_cast<size_t>(i)] = best;
  }
  return out;
}

}  // namespace

double accuracy(const at::Tensor& probabilities, const at::Tensor& labels) {
  auto c = check(probabilities, labels, "accuracy");
  auto y = c.labels.accessor<int64_t, 1>();
  const auto predictions = predict(c.probabilities);
  int64_t correct = 0;
  for (int64_t i = 0; i < y.size(0); ++i) correct += predictions[static_cast<size_t>(i)].label == y[i] ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(y.size(0));
}

double negative_log_likelihood(const at::Tensor& probabilities, const at::Tensor& labels) {
  auto c = check(probabilities, labels, "negative_log_likelihood");
  auto true_class = c.probabilities.gather(1, c.labels.unsqueeze(1)).squeeze(1);
  return -true_class.clamp_min(kProbabilityFloor).log().mean().item<double>();
}

double brier_score(const at::Tensor& probabilities, const at::Tensor& labels) {
  auto c = check(probabilities, labels, "brier_score");
  auto one_hot = at::zeros_like(c.probabilities).scatter_(1, c.labels.unsqueeze(1), 1.0);
  auto difference = c.probabilities - one_hot;
  return (difference * difference).sum(1).mean().item<double>();
}

Calibration calibration(const at::Tensor& probabilities, const at::Tensor& labels, int64_t bins) {
  if (bins < 1) throw std::invalid_argument("calibration: bins must be at least 1, got " + std::to_string(bins));
  auto c = check(probabilities, labels, "calibration");
  auto y = c.labels.accessor<int64_t, 1>();
  const auto predictions = predict(c.probabilities);
  const int64_t n = y.size(0);

  // The edges are the same double divisions that the bins report, so a confidence exactly on an edge (as computed
  // here) is assigned consistently with [lower, upper); floor(confidence * bins) is only a first guess.
  auto edge = [bins](int64_t b) { return static_cast<double>(b) / static_cast<double>(bins); };
  std::vector<int64_t> count(static_cast<size_t>(bins), 0);
  std::vector<int64_t> correct(static_cast<size_t>(bins), 0);
  std::vector<double> confidence_sum(static_cast<size_t>(bins), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const Prediction& prediction = predictions[static_cast<size_t>(i)];
    const double confidence = prediction.confidence;
    int64_t b = static_cast<int64_t>(std::floor(std::clamp(confidence, 0.0, 1.0) * static_cast<double>(bins)));
    b = std::clamp<int64_t>(b, 0, bins - 1);
    while (b + 1 < bins && confidence >= edge(b + 1)) ++b;
    while (b > 0 && confidence < edge(b)) --b;
    const auto s = static_cast<size_t>(b);
    ++count[s];
    correct[s] += prediction.label == y[i] ? 1 : 0;
    confidence_sum[s] += confidence;
  }

  Calibration result;
  result.bins.resize(static_cast<size_t>(bins));
  for (int64_t b = 0; b < bins; ++b) {
    const auto s = static_cast<size_t>(b);
    ReliabilityBin& bin = result.bins[s];
    bin.lower = edge(b);
    bin.upper = edge(b + 1);
    bin.count = count[s];
    if (bin.count == 0) continue;
    bin.mean_confidence = confidence_sum[s] / static_cast<double>(bin.count);
    bin.accuracy = static_cast<double>(correct[s]) / static_cast<double>(bin.count);
    const double gap = std::abs(bin.accuracy - bin.mean_confidence);
    result.expected_calibration_error += static_cast<double>(bin.count) / static_cast<double>(n) * gap;
    result.maximum_calibration_error = std::max(result.maximum_calibration_error, gap);
  }
  return result;
}

}  // namespace credence::metrics
