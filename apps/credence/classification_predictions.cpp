// Classifier predictions, their CSV columns and their scores.
#include "classification_predictions.h"

#include "credence/core/rng.h"
#include "credence/data/csv_table.h"
#include "credence/metrics/classification_metrics.h"
#include "credence/metrics/ood_detection.h"

namespace credence::cli {

predict::ClassificationUncertainty predict_classes(io::ClassificationModel& model, const at::Tensor& inputs,
                                                   int64_t samples, std::uint64_t seed, double temperature) {
  auto generator = core::make_generator(seed);
  for (auto& member : model.members) member->set_generator(generator);
  auto head_temperature = model.head.temperature;
  if (temperature > 0.0) model.head.temperature = temperature;
  auto probabilities = model.sample_probabilities(inputs, predict::PredictOptions().samples(samples), generator);
  model.head.temperature = head_temperature;
  return predict::split_classification_uncertainty(probabilities);
}

void write_classification_predictions(const std::string& path, const io::ClassificationModel& model,
                                      const predict::ClassificationUncertainty& u) {
  std::vector<std::string> columns{"class", "confidence", "entropy", "aleatoric", "epistemic"};
  for (const auto& name : model.class_names) columns.push_back("p_" + name);
  std::vector<std::string> classes;
  auto predicted = u.predicted.cpu();
  for (int64_t i = 0; i < predicted.size(0); ++i) classes.push_back(model.class_names.at(predicted[i].item<int64_t>()));
  auto values = at::cat({u.confidence.unsqueeze(1), u.entropy.unsqueeze(1), u.aleatoric.unsqueeze(1),
                         u.epistemic.unsqueeze(1), u.probabilities},
                        1);
  data::write_csv(path, columns, values, classes);
}

nlohmann::json classification_scores(const predict::ClassificationUncertainty& u, const at::Tensor& labels) {
  auto calibration = metrics::calibration(u.probabilities, labels);
  nlohmann::json bins = nlohmann::json::array();
  for (const auto& bin : calibration.bins) {
    bins.push_back({{"lower", bin.lower}, {"upper", bin.upper}, {"count", bin.count},
                    {"confidence", bin.mean_confidence}, {"accuracy", bin.accuracy}});
  }
  return {
      {"accuracy", metrics::accuracy(u.probabilities, labels)},
      {"nll", metrics::negative_log_likelihood(u.probabilities, labels)},
      {"brier", metrics::brier_score(u.probabilities, labels)},
      {"ece", calibration.expected_calibration_error},
      {"mce", calibration.maximum_calibration_error},
      {"reliability", bins},
  };
}

nlohmann::json ood_scores(const predict::ClassificationUncertainty& in, const predict::ClassificationUncertainty& out) {
  nlohmann::json auroc, aupr;
  auto add = [&](const std::string& name, const at::Tensor& in_score, const at::Tensor& out_score) {
    auroc[name] = metrics::area_under_roc(in_score, out_score);
    aupr[name] = metrics::area_under_precision_recall(in_score, out_score);
  };
  // Higher means "more likely out of distribution": a low top probability, a high entropy or mutual information.
  add("max_probability", -in.confidence, -out.confidence);
  add("entropy", in.entropy, out.entropy);
  add("mutual_information", in.epistemic, out.epistemic);
  return {{"auroc", auroc}, {"aupr", aupr}};
}

}  // namespace credence::cli
