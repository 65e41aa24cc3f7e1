// The Hungarian method and the clustering accuracy built on it.
#include "credence/metrics/assignment.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace credence::metrics {

std::vector<int64_t> solve_assignment(const at::Tensor& cost_in) {
  if (cost_in.dim() != 2 || cost_in.size(0) > cost_in.size(1)) {
    throw std::invalid_argument("solve_assignment: expected a cost matrix [n, m] with n <= m");
  }
  const auto cost_tensor = cost_in.to(at::kDouble).contiguous();
  if (!at::isfinite(cost_tensor).all().item<bool>()) throw std::invalid_argument("solve_assignment: a cost is not finite");
  const int64_t n = cost_tensor.size(0), m = cost_tensor.size(1);
  const double* cost = cost_tensor.data_ptr<double>();
  const double infinity = std::numeric_limits<double>::infinity();
  // Potentials u (rows) and v (columns) keep every reduced cost c(i, j) - u(i) - v(j) >= 0, tight
  // on the matched pairs. Index 0 is a virtual column from which each new row's augmenting path
  // starts; owner[j] is the row matched to column j (1-based, 0: free).
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0);
  std::vector<int64_t> owner(m + 1, 0), previous(m + 1, 0);
  for (int64_t row = 1; row <= n; ++row) {
    owner[0] = row;
    int64_t column = 0;
    std::vector<double> slack(m + 1, infinity);
    std::vector<bool> visited(m + 1, false);
    while (owner[column] != 0) {
      visited[column] = true;
      const int64_t i = owner[column];
      double delta = infinity;
      int64_t next = 0;
      for (int64_t j = 1; j <= m; ++j) {
        if (visited[j]) continue;
        const double reduced = cost[(i - 1) * m + (j - 1)] - u[i] - v[j];
        if (reduced < slack[j]) {
          slack[j] = reduced;
          previous[j] = column;
        }
        if (slack[j] < delta) {
          delta = slack[j];
          next = j;
        }
      }
      // Raise the potentials of the tree's rows, lower its columns': one more reduced cost is zero.
      for (int64_t j = 0; j <= m; ++j) {
        if (visited[j]) {
          u[owner[j]] += delta;
          v[j] -= delta;
        } else {
          slack[j] -= delta;
        }
      }
      column = next;
    }
    // Flip the matching along the augmenting path back to the virtual column.
    while (column != 0) {
      const int64_t back = previous[column];
      owner[column] = owner[back];
      column = back;
    }
  }
  std::vector<int64_t> assigned(static_cast<size_t>(n), -1);
  for (int64_t j = 1; j <= m; ++j) {
    if (owner[j] != 0) assigned[static_cast<size_t>(owner[j] - 1)] = j - 1;
  }
  return assigned;
}

AssignmentAccuracy best_assignment_accuracy(const at::Tensor& clusters_in, const at::Tensor& labels_in, int64_t cluster_count,
                                            int64_t class_count) {
  const auto clusters = clusters_in.to(at::kLong).flatten(), labels = labels_in.to(at::kLong).flatten();
  if (clusters.size(0) != labels.size(0) || clusters.size(0) == 0) {
    throw std::invalid_argument("best_assignment_accuracy: expected as many clusters as labels, at least one");
  }
  if (cluster_count < 1 || class_count < 1 || clusters.min().item<int64_t>() < 0 || clusters.max().item<int64_t>() >= cluster_count ||
      labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= class_count) {
    throw std::invalid_argument("best_assignment_accuracy: a cluster or a label is out of range");
  }
  AssignmentAccuracy result;
  result.confusion = at::bincount(clusters * class_count + labels, {}, cluster_count * class_count)
                         .view({cluster_count, class_count})
                         .to(at::kDouble);
  // Most matched rows = least cost with cost = -count; the smaller side is the rows.
  const bool clusters_are_rows = cluster_count <= class_count;
  const auto cost = clusters_are_rows ? -result.confusion : -result.confusion.t();
  const auto matched = solve_assignment(cost);
  result.classes.assign(static_cast<size_t>(cluster_count), -1);
  for (size_t r = 0; r < matched.size(); ++r) {
    if (clusters_are_rows) {
      result.classes[r] = matched[r];
    } else {
      result.classes[static_cast<size_t>(matched[r])] = static_cast<int64_t>(r);
    }
  }
  double correct = 0.0;
  for (int64_t k = 0; k < cluster_count; ++k) {
    const int64_t c = result.classes[static_cast<size_t>(k)];
    if (c >= 0) correct += result.confusion[k][c].item<double>();
  }
  result.accuracy = correct / static_cast<double>(clusters.size(0));
  return result;
}

}  // namespace credence::metrics
