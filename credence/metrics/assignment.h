// The assignment problem (Kuhn 1955, Munkres 1957): a one-to-one matching of rows to columns of a
// cost matrix with the least total cost, and the accuracy of an unsupervised clustering (say
// InfoGAN's categorical code) against labels under the best such matching of clusters to classes.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace credence::metrics {

// For a cost matrix [n, m] with n <= m, the column of each row in a matching of least total cost
// (the Hungarian method with row and column potentials, O(n^2 m)). Throws std::invalid_argument
// for n > m or a non-finite cost.
std::vector<int64_t> solve_assignment(const at::Tensor& cost);

struct AssignmentAccuracy {
  double accuracy = 0.0;         // the share of rows whose cluster maps to their label
  std::vector<int64_t> classes;  // the class each cluster maps to (-1: none, with more clusters than classes)
  at::Tensor confusion;          // [clusters, classes] counts
};
// Clusters [N] in [0, clusters) against labels [N] in [0, classes), int64.
AssignmentAccuracy best_assignment_accuracy(const at::Tensor& clusters, const at::Tensor& labels, int64_t cluster_count,
                                            int64_t class_count);

}  // namespace credence::metrics
