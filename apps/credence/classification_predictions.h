// Predictions of a classifier, in the columns `credence predict` writes and the scores `evaluate` reports.
#pragma once

#include "classification_data.h"

#include "credence/io/classification_model.h"
#include "credence/predict/classification_uncertainty.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace credence::cli {

// Class probabilities of the model's S draws, with the uncertainty split. `temperature` 0 keeps the model's.
predict::ClassificationUncertainty predict_classes(io::ClassificationModel& model, const at::Tensor& inputs,
                                                   int64_t samples, std::uint64_t seed, double temperature = 0.0);

// Writes class,confidence,entropy,aleatoric,epistemic,p_<class>... (the class column holds the class name).
void write_classification_predictions(const std::string& path, const io::ClassificationModel& model,
                                      const predict::ClassificationUncertainty& u);

// accuracy, nll, brier, ece, mce and the reliability table of labelled predictions.
nlohmann::json classification_scores(const predict::ClassificationUncertainty& u, const at::Tensor& labels);

// AUROC and AUPR of in- against out-of-distribution data for each score (OOD is the positive class):
// {"auroc": {"max_probability": .., "entropy": .., "mutual_information": ..}, "aupr": {...}}.
nlohmann::json ood_scores(const predict::ClassificationUncertainty& in, const predict::ClassificationUncertainty& out);

}  // namespace credence::cli
