// predict and evaluate for the classical models (archive kinds blr, ard, kmeans, gmm, vgmm, pca, ppca).
#include "classical_models.h"

#include "credence/io/classical_archive.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <stdexcept>

namespace credence::cli {

namespace {

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
  const auto design = model.basis.expand(x);
  return model.kind == "blr" ? model.blr.predict(design) : model.ard.predict(design);
}

std::vector<std::string> numbered(const std::string& prefix, int64_t count) {
  std::vector<std::string> names;
  for (int64_t k = 0; k < count; ++k) names.push_back(prefix + std::to_string(k));
  return names;
}

at::Tensor as_column(const at::Tensor& t) { return t.to(at::kDouble).reshape({-1, 1}); }

PredictionTable mixture_table(const at::Tensor& log_likelihood, const at::Tensor& resp) {
  PredictionTable table;
  table.columns = {"component", "log_likelihood"};
  for (const auto& name : numbered("resp_", resp.size(1))) table.columns.push_back(name);
  table.values = at::cat({as_column(resp.argmax(1)), as_column(log_likelihood), resp}, 1);
  return table;
}

}  // namespace

bool is_classical_kind(const std::string& kind) { return io::is_classical_kind(kind); }

PredictionTable classical_predict(const io::Archive& archive, const data::CsvTable& table, double level) {
  const auto model = io::classical_model_from_archive(archive);
  const auto x = feature_matrix(model, table);
  PredictionTable result;
  if (model.kind == "blr" || model.kind == "ard") {
    check_level(level);
    const auto prediction = regression_prediction(model, x);
    const auto std = prediction.variance().sqrt();
    const double z = central_quantile(level);
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
  } else {
    const auto z = model.ppca.latent_mean(x);
    result.columns = numbered("z_", z.size(1));
    result.columns.push_back("log_likelihood");
    result.values = at::cat({z, as_column(model.ppca.log_likelihood(x))}, 1);
  }
  result.values = result.values.to(at::kDouble).contiguous();
  return result;
}

std::string classical_evaluate(const io::Archive& archive, const data::CsvTable& table, double level) {
  const auto model = io::classical_model_from_archive(archive);
  const auto x = feature_matrix(model, table);
  nlohmann::json report;
  report["rows"] = x.size(0);
  if (model.kind == "blr" || model.kind == "ard") {
    check_level(level);
    if (model.target.empty()) throw std::runtime_error(archive.path + ": model file names no target column");
    const auto t = table.select_double({model.target}).squeeze(1);
    const auto prediction = regression_prediction(model, x);
    const auto variance = prediction.variance();
    const auto error = t - prediction.mean;
    const double z = central_quantile(level);
    report["rmse"] = error.pow(2).mean().sqrt().item<double>();
    // Gaussian negative log predictive density, averaged over rows.
    report["nll"] = (0.5 * (variance.log() + error.pow(2) / variance + std::log(2.0 * M_PI))).mean().item<double>();
    report["coverage"] = (error.abs() <= z * variance.sqrt()).to(at::kDouble).mean().item<double>();
    report["level"] = level;
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
  } else {
    report["average_log_likelihood"] = model.ppca.average_log_likelihood(x);
    report["reconstruction_rmse"] = (model.ppca.reconstruct(x) - x).pow(2).mean().sqrt().item<double>();
  }
  return report.dump();
}

}  // namespace credence::cli
