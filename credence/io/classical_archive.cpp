// Saving and loading the classical models.
#include "credence/io/classical_archive.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::io {

namespace {

using nlohmann::json;

const std::vector<std::string> kKinds = {"blr", "ard", "kmeans", "gmm", "vgmm", "pca", "ppca", "gp", "sparse_gp", "logistic", "hmm"};

// The archive stores float64 tensors as given; loaded ones are checked for shape here, so that a
// hand-edited or mismatched file fails on load with its path rather than later in a product.
const at::Tensor& tensor(const Archive& archive, const std::string& name, std::vector<int64_t> shape = {}) {
  const auto& t = archive.get(name);
  if (!shape.empty()) {
    bool ok = t.dim() == static_cast<int64_t>(shape.size());
    for (size_t i = 0; ok && i < shape.size(); ++i) ok = shape[i] < 0 || t.size(static_cast<int64_t>(i)) == shape[i];
    if (!ok) throw ArchiveError(archive.path + ": model file is corrupted (tensor '" + name + "' has the wrong shape)");
  }
  return t;
}

void add_basis(Archive& archive, json& metadata, const classical::Basis& basis) {
  metadata["basis"] = {{"kind", classical::to_string(basis.kind)},
                       {"degree", basis.degree},
                       {"width", basis.width},
                       {"include_bias", basis.include_bias}};
  if (basis.centres.defined()) archive.add("basis.centres", basis.centres);
  if (basis.input_mean.defined()) {
    archive.add("basis.input_mean", basis.input_mean);
    archive.add("basis.input_scale", basis.input_scale);
  }
}

classical::Basis read_basis(const Archive& archive, const json& metadata, int64_t d) {
  const auto& b = metadata.at("basis");
  classical::Basis basis;
  basis.kind = classical::basis_kind_from_string(b.at("kind").get<std::string>());
  basis.degree = b.at("degree").get<int64_t>();
  basis.width = b.at("width").get<double>();
  basis.include_bias = b.at("include_bias").get<bool>();
  if (basis.kind == classical::BasisKind::rbf) basis.centres = tensor(archive, "basis.centres", {-1, d});
  if (archive.has("basis.input_mean")) {
    basis.input_mean = tensor(archive, "basis.input_mean", {d});
    basis.input_scale = tensor(archive, "basis.input_scale", {d});
  }
  return basis;
}

void add_scaling(Archive& archive, const std::string& prefix, const classical::ColumnScaling& scaling) {
  archive.add(prefix + "_mean", scaling.mean);
  archive.add(prefix + "_scale", scaling.scale);
}

classical::ColumnScaling read_scaling(const Archive& archive, const std::string& prefix, int64_t columns) {
  return {tensor(archive, prefix + "_mean", {columns}), tensor(archive, prefix + "_scale", {columns})};
}

// A kernel is its expression (for the structure) and its log-parameters (for the exact values).
void add_kernel(Archive& archive, json& hyper, const classical::Kernel& kernel) {
  hyper["kernel"] = kernel.to_string();
  archive.add("kernel_log_parameters", kernel.all_log_parameters());
}

// What the exact and the sparse GP share: the kernel, the jitter and the standardisation.
void add_gp_common(Archive& archive, json& hyper, const classical::Kernel& kernel, double jitter,
                   const classical::ColumnScaling& inputs, const classical::ColumnScaling& target) {
  add_scaling(archive, "input", inputs);
  add_scaling(archive, "target", target);
  add_kernel(archive, hyper, kernel);
  hyper["jitter"] = jitter;
}

classical::Kernel read_kernel(const Archive& archive, const json& hyper) {
  const auto kernel = classical::Kernel::parse(hyper.at("kernel").get<std::string>());
  return kernel.with_all_log_parameters(tensor(archive, "kernel_log_parameters", {kernel.all_log_parameters().numel()}));
}

}  // namespace

bool is_classical_kind(const std::string& kind) {
  for (const auto& k : kKinds) {
    if (k == kind) return true;
  }
  return false;
}

Archive to_archive(const ClassicalModel& model) {
  if (!is_classical_kind(model.kind)) throw std::invalid_argument("archive: '" + model.kind + "' is not a classical model kind");
  Archive archive;
  json metadata;
  metadata["kind"] = model.kind;
  metadata["features"] = model.features;
  if (!model.target.empty()) metadata["target"] = model.target;
  metadata["settings"] = json::parse(model.settings_json);
  json hyper;
  json summary;
  if (model.kind == "blr") {
    const auto& m = model.blr;
    add_basis(archive, metadata, model.basis);
    archive.add("weights_mean", m.weights_mean);
    archive.add("weights_covariance", m.weights_covariance);
    archive.add("x_offset", m.x_offset);
    hyper = {{"alpha", m.alpha}, {"beta", m.beta}};
    summary = {{"y_offset", m.y_offset},
               {"intercept", m.intercept()},
               {"log_evidence", m.log_evidence},
               {"effective_parameters", m.effective_parameters},
               {"training_rmse", m.training_rmse},
               {"n_iter", m.n_iter},
               {"converged", m.converged}};
  } else if (model.kind == "ard") {
    const auto& m = model.ard;
    add_basis(archive, metadata, model.basis);
    archive.add("weights_mean", m.weights_mean);
    archive.add("weight_precisions", m.weight_precisions);
    archive.add("kept", m.kept);
    archive.add("weights_covariance", m.weights_covariance);
    archive.add("x_offset", m.x_offset);
    hyper = {{"beta", m.beta}};
    summary = {{"y_offset", m.y_offset}, {"intercept", m.intercept()}, {"kept_weights", m.kept.numel()},
               {"n_iter", m.n_iter}, {"converged", m.converged}};
  } else if (model.kind == "kmeans") {
    archive.add("centres", model.kmeans.centres);
    summary = {{"inertia", model.kmeans.inertia}, {"n_iter", model.kmeans.n_iter}};
  } else if (model.kind == "gmm") {
    const auto& m = model.gmm;
    archive.add("weights", m.weights);
    archive.add("means", m.means);
    archive.add("covariances", m.covariances);
    hyper = {{"covariance_type", classical::to_string(m.covariance_type)}};
    summary = {{"n_iter", m.n_iter}, {"converged", m.converged},
               {"average_log_likelihood", m.log_likelihood_history.empty() ? 0.0 : m.log_likelihood_history.back()}};
  } else if (model.kind == "vgmm") {
    const auto& m = model.vgmm;
    archive.add("weight_concentration", m.weight_concentration);
    archive.add("mean_precision", m.mean_precision);
    archive.add("means", m.means);
    archive.add("degrees_of_freedom", m.degrees_of_freedom);
    archive.add("scale_inverse", m.scale_inverse);
    archive.add("mean_prior", m.mean_prior);
    archive.add("scale_inverse_prior", m.scale_inverse_prior);
    hyper = {{"weight_prior", classical::to_string(m.weight_prior)},
             {"weight_concentration_prior", m.weight_concentration_prior},
             {"mean_precision_prior", m.mean_precision_prior},
             {"degrees_of_freedom_prior", m.degrees_of_freedom_prior}};
    summary = {{"n_iter", m.n_iter}, {"converged", m.converged}, {"used_components", m.used_components()},
               {"elbo", m.elbo_history.empty() ? 0.0 : m.elbo_history.back()}};
  } else if (model.kind == "pca") {
    const auto& m = model.pca;
    archive.add("mean", m.mean);
    archive.add("components", m.components);
    archive.add("explained_variance", m.explained_variance);
    archive.add("explained_variance_ratio", m.explained_variance_ratio);
    summary = {{"noise_variance", m.noise_variance}, {"n_samples", m.n_samples}};
  } else if (model.kind == "ppca") {
    const auto& m = model.ppca;
    archive.add("mean", m.mean);
    archive.add("weights", m.weights);
    hyper = {{"noise_variance", m.noise_variance}};
    summary = {{"n_iter", m.n_iter}, {"converged", m.converged}};
  } else if (model.kind == "gp") {
    const auto& m = model.gp;
    archive.add("train_inputs", m.train_inputs);
    archive.add("train_targets", m.train_targets);
    add_gp_common(archive, hyper, m.kernel, m.jitter, m.input_scaling, m.target_scaling);
    summary = {{"log_marginal_likelihood", m.log_marginal_likelihood},
               {"log_marginal_likelihood_original_units", m.log_marginal_likelihood_original_units()},
               {"n_iter", m.n_iter}, {"n_evaluations", m.n_evaluations}, {"converged", m.converged}};
  } else if (model.kind == "sparse_gp") {
    const auto& m = model.sparse_gp;
    archive.add("inducing_inputs", m.inducing_inputs);
    archive.add("q_mean", m.q_mean);
    archive.add("q_sqrt", m.q_sqrt);
    add_gp_common(archive, hyper, m.kernel, m.jitter, m.input_scaling, m.target_scaling);
    summary = {{"bound", m.bound}, {"method", m.method}, {"n_iter", m.n_iter}, {"converged", m.converged},
               {"inducing_points", m.n_inducing()}};
  } else if (model.kind == "logistic") {
    const auto& m = model.logistic;
    archive.add("weights", m.weights);
    archive.add("intercepts", m.intercepts);
    archive.add("covariance", m.covariance);
    add_scaling(archive, "input", m.input_scaling);
    metadata["classes"] = model.class_names;
    hyper = {{"alpha", m.alpha}, {"fit_intercept", m.fit_intercept}, {"predictive", classical::to_string(model.predictive)}};
    summary = {{"log_evidence", m.log_evidence}, {"effective_parameters", m.effective_parameters}, {"n_iter", m.n_iter},
               {"converged", m.converged}};
  } else if (model.kind == "hmm") {
    const auto& m = model.hmm;
    archive.add("start", m.start);
    archive.add("transition", m.transition);
    if (m.emission == classical::EmissionType::gaussian) {
      archive.add("means", m.means);
      archive.add("covariances", m.covariances);
    } else {
      archive.add("emission_probabilities", m.emission_probabilities);
    }
    if (!model.sequence_column.empty()) metadata["sequence_column"] = model.sequence_column;
    hyper = {{"emission", classical::to_string(m.emission)}, {"states", m.n_states()}};
    if (m.emission == classical::EmissionType::gaussian) hyper["covariance_type"] = classical::to_string(m.covariance_type);
    summary = {{"n_iter", m.n_iter}, {"converged", m.converged}, {"parameters", m.n_parameters()},
               {"total_log_likelihood", m.log_likelihood_history.empty() ? 0.0 : m.log_likelihood_history.back()}};
  }
  metadata["hyper_parameters"] = hyper.is_null() ? json::object() : hyper;
  metadata["summary"] = summary.is_null() ? json::object() : summary;
  archive.metadata_json = metadata.dump();
  return archive;
}

ClassicalModel classical_model_from_archive(const Archive& archive) {
  json metadata;
  try {
    metadata = json::parse(archive.metadata_json);
  } catch (const json::exception&) {
    throw ArchiveError(archive.path + ": model file is corrupted (metadata is not valid JSON)");
  }
  ClassicalModel model;
  try {
    model.kind = metadata.at("kind").get<std::string>();
    if (!is_classical_kind(model.kind)) throw ArchiveError(archive.path + ": '" + model.kind + "' is not a classical model");
    model.features = metadata.at("features").get<std::vector<std::string>>();
    if (metadata.contains("target")) model.target = metadata.at("target").get<std::string>();
    if (metadata.contains("settings")) model.settings_json = metadata.at("settings").dump();
    const auto& hyper = metadata.at("hyper_parameters");
    const auto& summary = metadata.at("summary");
    const int64_t d = static_cast<int64_t>(model.features.size());
    if (model.kind == "blr" || model.kind == "ard") {
      model.basis = read_basis(archive, metadata, d);
      const int64_t p = model.basis.output_features(d);
      if (model.kind == "blr") {
        auto& m = model.blr;
        m.weights_mean = tensor(archive, "weights_mean", {p});
        m.weights_covariance = tensor(archive, "weights_covariance", {p, p});
        m.x_offset = tensor(archive, "x_offset", {p});
        m.alpha = hyper.at("alpha").get<double>();
        m.beta = hyper.at("beta").get<double>();
        m.y_offset = summary.at("y_offset").get<double>();
        m.log_evidence = summary.at("log_evidence").get<double>();
        m.effective_parameters = summary.at("effective_parameters").get<double>();
        m.training_rmse = summary.at("training_rmse").get<double>();
        m.n_iter = summary.at("n_iter").get<int64_t>();
        m.converged = summary.at("converged").get<bool>();
      } else {
        auto& m = model.ard;
        m.weights_mean = tensor(archive, "weights_mean", {p});
        m.weight_precisions = tensor(archive, "weight_precisions", {p});
        m.kept = tensor(archive, "kept", {-1});
        const int64_t r = m.kept.size(0);
        m.weights_covariance = tensor(archive, "weights_covariance", {r, r});
        m.x_offset = tensor(archive, "x_offset", {p});
        if (m.kept.scalar_type() != at::kLong || (r > 0 && (m.kept.min().item<int64_t>() < 0 || m.kept.max().item<int64_t>() >= p))) {
          throw ArchiveError(archive.path + ": model file is corrupted (tensor 'kept' holds invalid indices)");
        }
        m.beta = hyper.at("beta").get<double>();
        m.y_offset = summary.at("y_offset").get<double>();
        m.n_iter = summary.at("n_iter").get<int64_t>();
        m.converged = summary.at("converged").get<bool>();
      }
    } else if (model.kind == "kmeans") {
      model.kmeans.centres = tensor(archive, "centres", {-1, d});
      model.kmeans.inertia = summary.at("inertia").get<double>();
      model.kmeans.n_iter = summary.at("n_iter").get<int64_t>();
    } else if (model.kind == "gmm") {
      auto& m = model.gmm;
      m.covariance_type = classical::covariance_type_from_string(hyper.at("covariance_type").get<std::string>());
      m.weights = tensor(archive, "weights", {-1});
      const int64_t k = m.weights.size(0);
      m.means = tensor(archive, "means", {k, d});
      switch (m.covariance_type) {
        case classical::CovarianceType::full: m.covariances = tensor(archive, "covariances", {k, d, d}); break;
        case classical::CovarianceType::diag: m.covariances = tensor(archive, "covariances", {k, d}); break;
        case classical::CovarianceType::spherical: m.covariances = tensor(archive, "covariances", {k}); break;
      }
      m.n_iter = summary.at("n_iter").get<int64_t>();
      m.converged = summary.at("converged").get<bool>();
      m.log_likelihood_history = {summary.at("average_log_likelihood").get<double>()};
    } else if (model.kind == "vgmm") {
      auto& m = model.vgmm;
      m.weight_prior = classical::weight_prior_from_string(hyper.at("weight_prior").get<std::string>());
      m.weight_concentration_prior = hyper.at("weight_concentration_prior").get<double>();
      m.mean_precision_prior = hyper.at("mean_precision_prior").get<double>();
      m.degrees_of_freedom_prior = hyper.at("degrees_of_freedom_prior").get<double>();
      m.means = tensor(archive, "means", {-1, d});
      const int64_t k = m.means.size(0);
      m.weight_concentration = m.weight_prior == classical::WeightPrior::dirichlet_distribution
                                   ? tensor(archive, "weight_concentration", {k})
                                   : tensor(archive, "weight_concentration", {k, 2});
      m.mean_precision = tensor(archive, "mean_precision", {k});
      m.degrees_of_freedom = tensor(archive, "degrees_of_freedom", {k});
      m.scale_inverse = tensor(archive, "scale_inverse", {k, d, d});
      m.mean_prior = tensor(archive, "mean_prior", {d});
      m.scale_inverse_prior = tensor(archive, "scale_inverse_prior", {d, d});
      m.n_iter = summary.at("n_iter").get<int64_t>();
      m.converged = summary.at("converged").get<bool>();
      m.elbo_history = {summary.at("elbo").get<double>()};
    } else if (model.kind == "pca") {
      auto& m = model.pca;
      m.mean = tensor(archive, "mean", {d});
      m.components = tensor(archive, "components", {-1, d});
      const int64_t q = m.components.size(0);
      m.explained_variance = tensor(archive, "explained_variance", {q});
      m.explained_variance_ratio = tensor(archive, "explained_variance_ratio", {q});
      m.noise_variance = summary.at("noise_variance").get<double>();
      m.n_samples = summary.at("n_samples").get<int64_t>();
    } else if (model.kind == "ppca") {
      auto& m = model.ppca;
      m.mean = tensor(archive, "mean", {d});
      m.weights = tensor(archive, "weights", {d, -1});
      m.noise_variance = hyper.at("noise_variance").get<double>();
      m.n_iter = summary.at("n_iter").get<int64_t>();
      m.converged = summary.at("converged").get<bool>();
    } else if (model.kind == "gp") {
      const auto kernel = read_kernel(archive, hyper);
      const auto inputs = tensor(archive, "train_inputs", {-1, d});
      const auto targets = tensor(archive, "train_targets", {inputs.size(0)});
      // The factor and the weights are recomputed with the stored jitter: an [n, n] matrix is not worth the space.
      auto& m = model.gp;
      m = classical::GaussianProcessRegression::posterior(kernel, inputs, targets, hyper.at("jitter").get<double>(),
                                                          read_scaling(archive, "input", d), read_scaling(archive, "target", 1));
      m.n_iter = summary.at("n_iter").get<int64_t>();
      m.n_evaluations = summary.at("n_evaluations").get<int64_t>();
      m.converged = summary.at("converged").get<bool>();
    } else if (model.kind == "sparse_gp") {
      const auto kernel = read_kernel(archive, hyper);
      const auto inducing = tensor(archive, "inducing_inputs", {-1, d});
      const int64_t m_points = inducing.size(0);
      auto& m = model.sparse_gp;
      m = classical::SparseGaussianProcessRegression::posterior(
          kernel, inducing, tensor(archive, "q_mean", {m_points}), tensor(archive, "q_sqrt", {m_points, m_points}),
          hyper.at("jitter").get<double>(), read_scaling(archive, "input", d), read_scaling(archive, "target", 1));
      m.bound = summary.at("bound").get<double>();
      m.method = summary.at("method").get<std::string>();
      m.n_iter = summary.at("n_iter").get<int64_t>();
      m.converged = summary.at("converged").get<bool>();
    } else if (model.kind == "logistic") {
      auto& m = model.logistic;
      model.class_names = metadata.at("classes").get<std::vector<std::string>>();
      m.n_classes = static_cast<int64_t>(model.class_names.size());
      if (m.n_classes < 2) throw ArchiveError(archive.path + ": model file is corrupted (fewer than two classes)");
      const int64_t rows = m.n_classes == 2 ? 1 : m.n_classes;
      m.fit_intercept = hyper.at("fit_intercept").get<bool>();
      m.alpha = hyper.at("alpha").get<double>();
      model.predictive = classical::logistic_predictive_from_string(hyper.at("predictive").get<std::string>());
      m.weights = tensor(archive, "weights", {rows, d});
      m.intercepts = tensor(archive, "intercepts", {rows});
      const int64_t p = rows * (d + (m.fit_intercept ? 1 : 0));
      m.covariance = tensor(archive, "covariance", {p, p});
      m.input_scaling = read_scaling(archive, "input", d);
      m.log_evidence = summary.at("log_evidence").get<double>();
      m.effective_parameters = summary.at("effective_parameters").get<double>();
      m.n_iter = summary.at("n_iter").get<int64_t>();
      m.converged = summary.at("converged").get<bool>();
    } else if (model.kind == "hmm") {
      if (metadata.contains("sequence_column")) model.sequence_column = metadata.at("sequence_column").get<std::string>();
      const auto emission = classical::emission_type_from_string(hyper.at("emission").get<std::string>());
      const auto start = tensor(archive, "start", {-1});
      const int64_t k = start.size(0);
      const auto transition = tensor(archive, "transition", {k, k});
      auto& m = model.hmm;
      if (emission == classical::EmissionType::gaussian) {
        const auto type = classical::covariance_type_from_string(hyper.at("covariance_type").get<std::string>());
        const auto means = tensor(archive, "means", {k, d});
        at::Tensor covariances;
        switch (type) {
          case classical::CovarianceType::full: covariances = tensor(archive, "covariances", {k, d, d}); break;
          case classical::CovarianceType::diag: covariances = tensor(archive, "covariances", {k, d}); break;
          case classical::CovarianceType::spherical: covariances = tensor(archive, "covariances", {k}); break;
        }
        m = classical::HiddenMarkovModel::gaussian(start, transition, means, covariances, type);
      } else {
        m = classical::HiddenMarkovModel::categorical(start, transition, tensor(archive, "emission_probabilities", {k, -1}));
      }
      m.n_iter = summary.at("n_iter").get<int64_t>();
      m.converged = summary.at("converged").get<bool>();
      m.log_likelihood_history = {summary.at("total_log_likelihood").get<double>()};
    }
  } catch (const json::exception& e) {
    throw ArchiveError(archive.path + ": model file is corrupted (metadata field missing or of the wrong type for '" +
                       model.kind + "')");
  } catch (const std::invalid_argument& e) {
    throw ArchiveError(archive.path + ": model file is corrupted (" + std::string(e.what()) + ")");
  } catch (const classical::NotPositiveDefinite& e) {
    throw ArchiveError(archive.path + ": model file is corrupted (" + std::string(e.what()) + ")");
  }
  return model;
}

}  // namespace credence::io
