// Out-of-distribution detection metrics.
#include "credence/metrics/ood_detection.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace credence::metrics {

namespace {

struct Scored {
  double score;
  bool out_of_distribution;
};

void append_scores(const at::Tensor& scores, bool out_of_distribution, const char* function,
                   std::vector<Scored>& into) {
  const std::string which = out_of_distribution ? "out-of-distribution scores" : "in-distribution scores";
  if (!scores.defined()) throw std::invalid_argument(std::string(function) + ": " + which + " are undefined");
  if (scores.numel() == 0) throw std::invalid_argument(std::string(function) + ": " + which + " are empty");
  auto flat = scores.to(at::kCPU, at::kDouble).contiguous().reshape({-1});
  const double* data = flat.data_ptr<double>();
  for (int64_t i = 0; i < flat.numel(); ++i) {
    if (!std::isfinite(data[i])) {
      throw std::invalid_argument(std::string(function) + ": " + which + " contain a non-finite value");
    }
    into.push_back({data[i], out_of_distribution});
  }
}

// Both sets in one vector sorted by score (ascending, or descending), with the sizes of the two sets.
struct Merged {
  std::vector<Scored> scored;
  int64_t in_count = 0, out_count = 0;
};

Merged merge(const at::Tensor& in_scores, const at::Tensor& out_scores, const char* function, bool descending) {
  Merged m;
  m.scored.reserve(static_cast<size_t>(in_scores.numel() + out_scores.numel()));
  append_scores(in_scores, false, function, m.scored);
  append_scores(out_scores, true, function, m.scored);
  m.in_count = in_scores.numel();
  m.out_count = out_scores.numel();
  if (descending) {
    std::sort(m.scored.begin(), m.scored.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
  } else {
    std::sort(m.scored.begin(), m.scored.end(), [](const Scored& a, const Scored& b) { return a.score < b.score; });
  }
  return m;
}

}  // namespace

double area_under_roc(const at::Tensor& in_distribution_scores, const at::Tensor& out_of_distribution_scores) {
  const Merged m = merge(in_distribution_scores, out_of_distribution_scores, "area_under_roc", /*descending=*/false);
  // Walk the groups of equal scores upwards: each OOD score in a group beats every in-distribution score below the
  // group and ties with the in-distribution scores inside it.
  int64_t in_below = 0, wins = 0, ties = 0;
  size_t i = 0;
  while (i < m.scored.size()) {
    size_t j = i;
    int64_t in_group = 0, out_group = 0;
    for (; j < m.scored.size() && m.scored[j].score == m.scored[i].score; ++j) {
      (m.scored[j].out_of_distribution ? out_group : in_group) += 1;
    }
    wins += out_group * in_below;
    ties += out_group * in_group;
    in_below += in_group;
    i = j;
  }
  const double pairs = static_cast<double>(m.in_count) * static_cast<double>(m.out_count);
  return (static_cast<double>(wins) + 0.5 * static_cast<double>(ties)) / pairs;
}

double area_under_precision_recall(const at::Tensor& in_distribution_scores,
                                   const at::Tensor& out_of_distribution_scores) {
  const Merged m =
      merge(in_distribution_scores, out_of_distribution_scores, "area_under_precision_recall", /*descending=*/true);
  // Lower the threshold one distinct score at a time; the whole group of tied scores turns positive together.
  int64_t true_positives = 0, false_positives = 0;
  double average_precision = 0.0;
  size_t i = 0;
  while (i < m.scored.size()) {
    size_t j = i;
    int64_t out_group = 0;
    for (; j < m.scored.size() && m.scored[j].score == m.scored[i].score; ++j) {
      (m.scored[j].out_of_distribution ? true_positives : false_positives) += 1;
      out_group += m.scored[j].out_of_distribution ? 1 : 0;
    }
    if (out_group > 0) {
      // Summed as count x precision and divided once at the end, so that a perfect ranking gives exactly 1.
      const double precision =
          static_cast<double>(true_positives) / static_cast<double>(true_positives + false_positives);
      average_precision += static_cast<double>(out_group) * precision;
    }
    i = j;
  }
  return average_precision / static_cast<double>(m.out_count);
}

}  // namespace credence::metrics
