// Classifier predictions, their columns and their scores.
#include "credence/workflow/classification_prediction.h"

#include "credence/core/rng.h"
#include "credence/metrics/classification_metrics.h"
#include "credence/metrics/ood_detection.h"
#include "credence/predict/class_probability_samples.h"
#include "credence/predict/laplace_predictive.h"

namespace credence::workflow {

void for_each_class_probability_chunk(const io::ClassificationModel& model, const at::Tensor& raw_inputs,
                                      const predict::PredictOptions& options, c10::optional<at::Generator> generator,
                                      const predict::ProbabilityChunkVisitor& visit) {
  auto members = model.members;
  auto z = model.input_scaler.transform(raw_inputs);
  if (model.laplace) {
    predict::for_each_laplace_class_probability_chunk(members.front(), model.head, *model.laplace, z, options,
                                                      generator ? generator : members.front()->generator(), visit);
    return;
  }
  predict::for_each_class_probability_chunk(members, model.head, z, options, generator, visit);
}

at::Tensor sample_class_probabilities(const io::ClassificationModel& model, const at::Tensor& raw_inputs,
                                      const predict::PredictOptions& options, c10::optional<at::Generator> generator) {
  std::vector<at::Tensor> chunks;
  for_each_class_probability_chunk(model, raw_inputs, options, generator,
                                   [&](const at::Tensor& probabilities, int64_t) { chunks.push_back(probabilities); });
  if (!chunks.empty()) return at::cat(chunks, 1);
  return at::empty({1, 0, static_cast<int64_t>(model.class_names.size())}, raw_inputs.options());
}

predict::ClassificationUncertainty predict_classes(const io::ClassificationModel& model, const at::Tensor& raw_inputs,
                                                   const predict::PredictOptions& options, std::uint64_t seed,
                                                   double temperature) {
  auto generator = core::make_generator(seed);
  for (auto member : model.members) member->set_generator(generator);
  auto tempered = model;
  if (temperature > 0.0) tempered.head.temperature = temperature;
  std::vector<predict::ClassificationUncertainty> splits;
  for_each_class_probability_chunk(tempered, raw_inputs, options, generator, [&](const at::Tensor& probabilities, int64_t) {
    splits.push_back(predict::split_classification_uncertainty(probabilities));
  });
  if (splits.empty()) {
    return predict::split_classification_uncertainty(at::full({1, 0, static_cast<int64_t>(model.class_names.size())}, 0.5));
  }
  return predict::concatenate_rows(splits);
}

predict::ClassificationUncertainty predict_classes(const io::ClassificationModel& model, const at::Tensor& raw_inputs,
                                                   int64_t samples, std::uint64_t seed, double temperature) {
  return predict_classes(model, raw_inputs, predict::PredictOptions().samples(samples), seed, temperature);
}

ClassificationTable classification_table(const io::ClassificationModel& model, const predict::ClassificationUncertainty& u) {
  ClassificationTable table;
  table.columns = {"class", "confidence", "entropy", "aleatoric", "epistemic"};
  for (const auto& name : model.class_names) table.columns.push_back("p_" + name);
  auto predicted = u.predicted.cpu();
  const auto* index = predicted.data_ptr<int64_t>();
  for (int64_t i = 0; i < predicted.size(0); ++i) table.classes.push_back(model.class_names.at(static_cast<size_t>(index[i])));
  table.values = at::cat({u.confidence.unsqueeze(1), u.entropy.unsqueeze(1), u.aleatoric.unsqueeze(1),
                          u.epistemic.unsqueeze(1), u.probabilities},
                         1);
  return table;
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

}  // namespace credence::workflow
