// Out-of-distribution detection metrics: AUROC and AUPR of a score separating in- from out-of-distribution inputs.
#pragma once

#include <ATen/ATen.h>

namespace credence::metrics {

// Scores: higher means "more likely out of distribution". The OOD set is the positive class. Each set is a tensor of
// any shape (flattened), integer or floating point, on any device; an empty set or a non-finite score throws
// std::invalid_argument naming the set.

// Area under the ROC curve = P(score_ood > score_in) + 0.5 P(score_ood == score_in) (Mann-Whitney, ties count half),
// computed by sorting (O(n log n)), not by the O(n^2) double loop. Pair counts are exact 64-bit integers.
double area_under_roc(const at::Tensor& in_distribution_scores, const at::Tensor& out_of_distribution_scores);

// Area under the precision-recall curve as average precision: sum over distinct thresholds t (descending) of
// (R(t) - R(t_prev)) * P(t), where all samples with score >= t are predicted positive, so tied scores enter
// together (the definition of scikit-learn's average_precision_score). R(t_prev) is 0 before the first threshold.
// When every score ties, it equals the fraction of OOD samples.
double area_under_precision_recall(const at::Tensor& in_distribution_scores,
                                   const at::Tensor& out_of_distribution_scores);

}  // namespace credence::metrics
