// predict and evaluate for the classical models.
#include "credence/workflow/classical_prediction.h"

#include "credence/core/rng.h"
#include "credence/data/class_labels.h"
#include "credence/data/csv_table.h"
#include "credence/io/classical_archive.h"
#include "credence/metrics/classification_metrics.h"
#include "credence/predict/classification_uncertainty.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace credence::workflow {

namespace {

bool is_regression(const std::string& kind) { return kind == "blr" || kind == "ard" || kind == "gp" || kind == "sparse_gp"; }

// The table, with the sequence column an HMM was fitted with (a classifier's labels are optional:
// predict does without).
data::CsvTable read_table(const io::ClassicalModel& model, const std::string& path) {
  auto table = data::read_csv(path);
  if (model.kind == "hmm" && !model.sequence_column.empty() && !table.has_column(model.sequence_column)) {
    throw std::runtime_error(path + ":1: missing the sequence column '" + model.sequence_column + "' that the model was fitted with");
  }
  return table;
}

// The model's input columns from the table, by name, in the model's order, as float64.
at::Tensor feature_matrix(const io::ClassicalModel& model, const data::CsvTable& table) {
  return table.select_double(model.features);
}

void check_level(double level) {
  if (!(level > 0.0 && level < 1.0)) throw std::invalid_argument("--level: must lie strictly between 0 and 1");
}

// The two-sided Gaussian quantile for a central interval of probability `level`.
double central_quantile(double level) {
  return std::sqrt(2.0) * at::erfinv(at::full({1}, level, at::TensorOptions().dtype(at::kDouble))).item<double>();
}

classical::RegressionPrediction regression_prediction(const io::ClassicalModel& model, const at::Tensor& x) {
  if (model.kind == "gp") return model.gp.predict(x);
  if (model.kind == "sparse_gp") return model.sparse_gp.predict(x);
  const auto design = model.basis.expand(x);
  return model.kind == "blr" ? model.blr.predict(design) : model.ard.predict(design);
}

std::vector<std::string> numbered(const std::string& prefix, int64_t count) {
  std::vector<std::string> names;
  for (int64_t k = 0; k < count; ++k) names.push_back(prefix + std::to_string(k));
  return names;
}

at::Tensor as_column(const at::Tensor& t) { return t.to(at::kDouble).reshape({-1, 1}); }

ClassicalPredictionTable mixture_table(const at::Tensor& log_likelihood, const at::Tensor& resp) {
  ClassicalPredictionTable table;
  table.columns = {"component", "log_likelihood"};
  for (const auto& name : numbered("resp_", resp.size(1))) table.columns.push_back(name);
  table.values = at::cat({as_column(resp.argmax(1)), as_column(log_likelihood), resp}, 1);
  return table;
}

// The predictive of a logistic model with the entropy split of the networks: the probabilities
// of the model's predictive (probit or Monte Carlo); the epistemic part, the mutual information
// between label and weights, from Monte Carlo draws of the Laplace posterior; the aleatoric part
// the rest of the predictive entropy (under Monte Carlo: the expected entropy, exactly as for networks).
predict::ClassificationUncertainty logistic_uncertainty(const io::ClassicalModel& model, const at::Tensor& x,
                                                        const ClassicalPredictionOptions& options) {
  if (options.samples < 1) throw std::invalid_argument("--samples: must be at least 1");
  auto generator = core::make_generator(options.seed);
  const auto draws = model.logistic.sample_parameters(options.samples, generator);
  // Float64 probabilities [S, rows, K]: two float32 values' room per class.
  const int64_t classes = std::max<int64_t>(2, static_cast<int64_t>(model.class_names.size()));
  const int64_t rows = predict::budget_chunk_rows(predict::PredictOptions().memory_budget(options.memory_budget), options.samples,
                                                  2 * classes, draws.numel() * static_cast<int64_t>(draws.element_size()));
  std::vector<predict::ClassificationUncertainty> splits;
  for (int64_t start = 0; start < x.size(0); start += rows) {
    const auto chunk = x.slice(0, start, std::min(x.size(0), start + rows));
    splits.push_back(predict::split_classification_uncertainty(model.logistic.probabilities_under(chunk, draws)));
  }
  auto u = splits.empty() ? predict::split_classification_uncertainty(model.logistic.probabilities_under(x, draws))
                          : predict::concatenate_rows(splits);
  if (model.predictive == classical::LogisticPredictive::probit) {
    u.probabilities = model.logistic.probit_probabilities(x);
    std::tie(u.confidence, u.predicted) = u.probabilities.max(1);
    u.entropy = predict::entropy(u.probabilities);
    u.aleatoric = (u.entropy - u.epistemic).clamp_min(0.0);
  }
  return u;
}

// An HMM's sequences: the lengths of the runs of the sequence column, or one sequence.
std::vector<int64_t> hmm_lengths(const io::ClassicalModel& model, const data::CsvTable& table) {
  if (model.sequence_column.empty()) return {table.rows()};
  return classical::sequence_lengths(table.text(model.sequence_column), table.path());
}

}  // namespace

ClassicalPredictionTable classical_predict(const io::Archive& archive, const std::string& data_path,
                                           const ClassicalPredictionOptions& options) {
  const auto model = io::classical_model_from_archive(archive);
  const auto table = read_table(model, data_path);
  const auto x = feature_matrix(model, table);
  ClassicalPredictionTable result;
  if (is_regression(model.kind)) {
    check_level(options.level);
    const auto prediction = regression_prediction(model, x);
    const auto std = prediction.variance().sqrt();
    const double z = central_quantile(options.level);
    result.columns = {"mean", "std", "aleatoric_std", "epistemic_std", "lower", "upper"};
    result.values = at::stack({prediction.mean, std, prediction.aleatoric_variance.sqrt(), prediction.epistemic_variance.sqrt(),
                               prediction.mean - z * std, prediction.mean + z * std},
                              1);
  } else if (model.kind == "kmeans") {
    result.columns = {"component"};
    result.values = as_column(model.kmeans.predict(x));
  } else if (model.kind == "gmm") {
    result = mixture_table(model.gmm.log_likelihood(x), model.gmm.responsibilities(x));
  } else if (model.kind == "vgmm") {
    result = mixture_table(model.vgmm.log_likelihood(x), model.vgmm.responsibilities(x));
  } else if (model.kind == "pca") {
    const auto z = model.pca.transform(x);
    result.columns = numbered("z_", z.size(1));
    result.values = z;
  } else if (model.kind == "ppca") {
    const auto z = model.ppca.latent_mean(x);
    result.columns = numbered("z_", z.size(1));
    result.columns.push_back("log_likelihood");
    result.values = at::cat({z, as_column(model.ppca.log_likelihood(x))}, 1);
  } else if (model.kind == "logistic") {
    // The columns of a network classifier's predictions.
    const auto u = logistic_uncertainty(model, x, options);
    result.columns = {"class", "confidence", "entropy", "aleatoric", "epistemic"};
    for (const auto& name : model.class_names) result.columns.push_back("p_" + name);
    result.values = at::cat({as_column(u.confidence), as_column(u.entropy), as_column(u.aleatoric), as_column(u.epistemic),
                             u.probabilities}, 1);
    const auto predicted = u.predicted.contiguous();
    for (int64_t i = 0; i < predicted.size(0); ++i) result.leading_text.push_back(model.class_names.at(predicted[i].item<int64_t>()));
  } else {  // hmm
    const auto lengths = hmm_lengths(model, table);
    const auto states = model.hmm.viterbi(x, lengths).first;
    const auto marginals = model.hmm.posterior(x, lengths).marginals;
    result.columns = {"state"};
    for (const auto& name : numbered("p_state_", marginals.size(1))) result.columns.push_back(name);
    result.values = at::cat({as_column(states), marginals}, 1);
  }
  result.values = result.values.to(at::kDouble).contiguous();
  return result;
}

std::string classical_evaluate(const io::Archive& archive, const std::string& data_path, const ClassicalPredictionOptions& options) {
  const auto model = io::classical_model_from_archive(archive);
  const auto table = read_table(model, data_path);
  const auto x = feature_matrix(model, table);
  nlohmann::json report;
  report["rows"] = x.size(0);
  if (is_regression(model.kind)) {
    check_level(options.level);
    if (model.target.empty()) throw std::runtime_error(archive.path + ": model file names no target column");
    const auto t = table.select_double({model.target}).squeeze(1);
    const auto prediction = regression_prediction(model, x);
    const auto variance = prediction.variance();
    const auto error = t - prediction.mean;
    const double z = central_quantile(options.level);
    report["rmse"] = error.pow(2).mean().sqrt().item<double>();
    // Gaussian negative log predictive density, averaged over rows.
    report["nll"] = (0.5 * (variance.log() + error.pow(2) / variance + std::log(2.0 * M_PI))).mean().item<double>();
    report["coverage"] = (error.abs() <= z * variance.sqrt()).to(at::kDouble).mean().item<double>();
    report["level"] = options.level;
  } else if (model.kind == "kmeans") {
    const double inertia = model.kmeans.score_inertia(x);
    report["inertia"] = inertia;
    report["mean_squared_distance"] = inertia / static_cast<double>(std::max<int64_t>(x.size(0), 1));
  } else if (model.kind == "gmm") {
    report["average_log_likelihood"] = model.gmm.average_log_likelihood(x);
    report["bic"] = model.gmm.bic(x);
    report["aic"] = model.gmm.aic(x);
  } else if (model.kind == "vgmm") {
    report["average_log_likelihood"] = model.vgmm.average_log_likelihood(x);
    report["used_components"] = static_cast<int64_t>(model.vgmm.used_components().size());
  } else if (model.kind == "pca") {
    const auto reconstruction = model.pca.inverse_transform(model.pca.transform(x));
    report["reconstruction_rmse"] = (reconstruction - x).pow(2).mean().sqrt().item<double>();
  } else if (model.kind == "ppca") {
    report["average_log_likelihood"] = model.ppca.average_log_likelihood(x);
    report["reconstruction_rmse"] = (model.ppca.reconstruct(x) - x).pow(2).mean().sqrt().item<double>();
  } else if (model.kind == "logistic") {
    if (!table.has_column(model.target)) {
      throw std::runtime_error(data_path + ":1: missing the class column '" + model.target + "' that evaluate scores against");
    }
    const auto labels = data::labels_for_classes(table.text(model.target), model.class_names, data_path);
    const auto u = logistic_uncertainty(model, x, options);
    const auto calibration = metrics::calibration(u.probabilities, labels);
    report["accuracy"] = metrics::accuracy(u.probabilities, labels);
    report["nll"] = metrics::negative_log_likelihood(u.probabilities, labels);
    report["brier"] = metrics::brier_score(u.probabilities, labels);
    report["ece"] = calibration.expected_calibration_error;
    report["mce"] = calibration.maximum_calibration_error;
  } else {  // hmm
    const auto lengths = hmm_lengths(model, table);
    const double total = model.hmm.log_likelihood(x, lengths);
    report["sequences"] = static_cast<int64_t>(lengths.size());
    report["log_likelihood"] = total / static_cast<double>(x.size(0));
    report["total_log_likelihood"] = total;
  }
  return report.dump();
}

}  // namespace credence::workflow
