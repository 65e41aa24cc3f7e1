// Predictions of a classifier: class probabilities with the uncertainty split, the columns
// `credence predict` writes and the scores `evaluate` reports (accuracy, NLL, Brier, calibration,
// out-of-distribution detection).
#pragma once

#include "credence/io/classification_model.h"
#include "credence/predict/class_probability_samples.h"
#include "credence/predict/classification_uncertainty.h"
#include "credence/predict/output_samples.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace credence::workflow {

// Class probabilities for raw (unscaled) rows chunk by chunk within options' memory budget:
// visit(probabilities of the chunk's rows [D, rows, K], first_row).
void for_each_class_probability_chunk(const io::ClassificationModel& model, const at::Tensor& raw_inputs,
                                      const predict::PredictOptions& options, c10::optional<at::Generator> generator,
                                      const predict::ProbabilityChunkVisitor& visit);
// All of them at once [D, N, K] (for few rows).
at::Tensor sample_class_probabilities(const io::ClassificationModel& model, const at::Tensor& raw_inputs,
                                      const predict::PredictOptions& options,
                                      c10::optional<at::Generator> generator = c10::nullopt);

// The model's S draws (options.samples(); its generators seeded by `seed`) with the uncertainty
// split, reduced chunk by chunk: peak memory within options.memory_budget(), the same numbers
// whatever the budget. `temperature` 0 keeps the model's.
predict::ClassificationUncertainty predict_classes(const io::ClassificationModel& model, const at::Tensor& raw_inputs,
                                                   const predict::PredictOptions& options, std::uint64_t seed,
                                                   double temperature = 0.0);
predict::ClassificationUncertainty predict_classes(const io::ClassificationModel& model, const at::Tensor& raw_inputs,
                                                   int64_t samples, std::uint64_t seed, double temperature = 0.0);

// The columns `credence predict` writes: class,confidence,entropy,aleatoric,epistemic,p_<class>...
struct ClassificationTable {
  std::vector<std::string> columns;
  std::vector<std::string> classes;  // the leading text column: the predicted class names
  at::Tensor values;                 // [N, columns - 1]
};
ClassificationTable classification_table(const io::ClassificationModel& model, const predict::ClassificationUncertainty& u);

// accuracy, nll, brier, ece, mce and the reliability table of labelled predictions.
nlohmann::json classification_scores(const predict::ClassificationUncertainty& u, const at::Tensor& labels);

// AUROC and AUPR of in- against out-of-distribution data for each score (OOD is the positive class):
// {"auroc": {"max_probability": .., "entropy": .., "mutual_information": ..}, "aupr": {...}}.
nlohmann::json ood_scores(const predict::ClassificationUncertainty& in, const predict::ClassificationUncertainty& out);

}  // namespace credence::workflow
