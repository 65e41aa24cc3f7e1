// `credence fit`: fits a classical Bayesian model (blr, ard, kmeans, gmm, vgmm, pca, ppca, gp,
// logistic, hmm) to a CSV file and writes it as a model file that predict, evaluate and inspect read.
#include "cli_support.h"
#include "commands.h"

#include "credence/classical/model_selection.h"
#include "credence/classical/validation.h"
#include "credence/core/rng.h"
#include "credence/data/class_labels.h"
#include "credence/data/csv_table.h"
#include "credence/io/classical_archive.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

namespace credence::cli {

namespace {

struct FitSettings {
  std::string kind;
  std::string data;
  std::string out;
  std::string target;
  std::vector<std::string> features;
  int64_t components = 0;
  std::string covariance = "full";
  std::string degree;  // "", an integer, or "auto"
  int64_t max_degree = 9;
  std::string basis;   // "", identity, polynomial, rbf
  int64_t centres = 10;
  double width = 1.0;
  std::string hyper_prior = "gamma";
  double threshold = 1e4;
  std::string init = "kmeans";
  int64_t restarts = 0;  // 0: the model's default
  int64_t max_iter = 0;  // 0: the model's default
  double reg_covar = 1e-6;
  std::string weight_prior = "dp";
  std::string method = "closed-form";
  // gp
  std::string kernel = "rbf(ard)+white";
  int64_t inducing = 0;    // 0: the exact GP
  int64_t batch_size = 0;  // sparse: 0 = the collapsed bound on all rows
  int64_t epochs = 50;
  double learning_rate = 0.01;
  std::string bounds = "1e-5,1e5";
  double max_jitter = 1e-4;
  bool no_optimise = false;
  // logistic
  double alpha = 1.0;
  bool fixed_alpha = false;
  std::string predictive = "probit";
  // hmm
  int64_t states = 0;
  std::string emission = "gaussian";
  std::string sequence;
  int64_t symbols = 0;
  std::uint64_t seed = 0;
  int threads = 0;
};

std::string join(const std::vector<std::string>& names) {
  std::string joined;
  for (size_t i = 0; i < names.size(); ++i) joined += (i ? "," : "") + names[i];
  return joined;
}

bool is_regression(const std::string& kind) { return kind == "blr" || kind == "ard"; }
bool is_supervised(const std::string& kind) { return is_regression(kind) || kind == "gp" || kind == "logistic"; }

// A degree given on the command line: a whole number from 0 to 30, or "auto".
int64_t parse_degree(const std::string& text) {
  int64_t degree = -1;
  size_t used = 0;
  try {
    degree = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || degree < 0 || degree > 30) {
    throw std::invalid_argument("--degree: expected a whole number from 0 to 30 or 'auto', got '" + text + "'");
  }
  return degree;
}

classical::BayesianLinearRegressionOptions regression_options(const FitSettings& s) {
  auto options = classical::BayesianLinearRegressionOptions();
  if (s.hyper_prior == "none") options.alpha_shape(0).alpha_rate(0).beta_shape(0).beta_rate(0);
  if (s.max_iter > 0) options.max_iter(s.max_iter);
  return options;
}

std::string settings_json(const FitSettings& s, const classical::Basis* basis) {
  nlohmann::json j;
  j["data"] = s.data;
  j["seed"] = s.seed;
  if (s.components > 0) j["components"] = s.components;
  if (s.kind == "gmm") j["covariance"] = s.covariance;
  if (s.kind == "gmm" || s.kind == "vgmm") {
    j["init"] = s.init;
    j["reg_covar"] = s.reg_covar;
  }
  if (s.kind == "vgmm") j["weight_prior"] = s.weight_prior;
  if (s.kind == "ppca") j["method"] = s.method;
  if (s.restarts > 0) j["restarts"] = s.restarts;
  if (s.max_iter > 0) j["max_iter"] = s.max_iter;
  if (is_regression(s.kind)) {
    j["hyper_prior"] = s.hyper_prior;
    if (s.kind == "ard") j["threshold"] = s.threshold;
    if (basis) {
      j["basis"] = classical::to_string(basis->kind);
      if (basis->kind == classical::BasisKind::polynomial) j["degree"] = basis->degree;
      if (basis->kind == classical::BasisKind::rbf) {
        j["centres"] = basis->centres.size(0);
        j["width"] = basis->width;
      }
    }
    if (s.degree == "auto") j["degree_selection"] = "evidence";
  }
  if (s.kind == "gp") {
    j["kernel"] = s.kernel;
    j["bounds"] = s.bounds;
    j["optimise"] = !s.no_optimise;
    if (s.inducing > 0) {
      j["inducing"] = s.inducing;
      if (s.batch_size > 0) j.update({{"batch_size", s.batch_size}, {"epochs", s.epochs}, {"learning_rate", s.learning_rate}});
    }
  }
  if (s.kind == "logistic") j.update({{"alpha", s.alpha}, {"evidence", !s.fixed_alpha}, {"predictive", s.predictive}});
  if (s.kind == "hmm") {
    j.update({{"states", s.states}, {"emission", s.emission}});
    if (s.emission == "gaussian") j["covariance"] = s.covariance;
    if (!s.sequence.empty()) j["sequence"] = s.sequence;
    j["reg_covar"] = s.reg_covar;
  }
  return j.dump();
}

void fit_regression(const FitSettings& s, const data::CsvTable& table, io::ClassicalModel& model, at::Generator& generator) {
  const auto x = table.select_double(model.features);
  const auto t = table.select_double({model.target}).squeeze(1).contiguous();
  classical::check_no_constant_columns(x, model.features);
  if ((t == t[0]).all().item<bool>()) throw std::invalid_argument("--target: column '" + model.target + "' is constant");

  std::string basis_name = s.basis;
  if (basis_name.empty()) basis_name = s.degree.empty() ? "identity" : "polynomial";
  const auto kind = classical::basis_kind_from_string(basis_name);
  if (!s.degree.empty() && kind != classical::BasisKind::polynomial) {
    throw std::invalid_argument("--degree: applies to --basis polynomial only");
  }
  classical::Basis basis;
  std::string what = "--features";
  if (kind == classical::BasisKind::polynomial) {
    basis = classical::Basis::polynomial(1);
    basis.standardise_inputs(x);
    int64_t degree = 1;
    if (s.degree == "auto") {
      require(s.kind == "blr", "--degree", "'auto' selects by the evidence of blr; give a number for ard");
      const auto results = classical::evidence_by_degree(x, t, basis, s.max_degree, regression_options(s), /*skip=*/true);
      std::printf("%-8s %16s %14s\n", "degree", "log_evidence", "train_rmse");
      for (const auto& r : results) std::printf("%-8lld %16.6f %14.6g\n", static_cast<long long>(r.degree), r.log_evidence, r.training_rmse);
      degree = classical::best_by_evidence(results).degree;
      std::printf("selected degree %lld (highest evidence)\n", static_cast<long long>(degree));
    } else if (!s.degree.empty()) {
      degree = parse_degree(s.degree);
    }
    basis.degree = degree;
    what = "--degree " + std::to_string(degree);
  } else if (kind == classical::BasisKind::rbf) {
    require(s.centres >= 1, "--centres", "must be at least 1");
    require(s.width > 0, "--width", "must be positive");
    require(s.centres <= table.rows(), "--centres",
            std::to_string(s.centres) + " centres need at least as many rows; " + table.path() + " has " + std::to_string(table.rows()));
    auto standardiser = classical::Basis::identity();
    standardiser.standardise_inputs(x);
    const auto z = standardiser.expand(x);
    if (classical::distinct_rows(z) < s.centres) {
      throw std::invalid_argument("--centres: " + table.path() + " has fewer distinct rows than " + std::to_string(s.centres) + " centres");
    }
    // Centres are data points spread by k-means++ seeding, in standardised units like the width.
    basis = classical::Basis::rbf(classical::kmeans_plus_plus(z, s.centres, generator), s.width);
    basis.input_mean = standardiser.input_mean;
    basis.input_scale = standardiser.input_scale;
    what = "--centres " + std::to_string(s.centres);
  }
  const auto design = basis.expand(x);
  classical::check_full_column_rank(design - design.mean(0), what);
  model.basis = basis;
  if (s.kind == "blr") {
    model.blr = classical::BayesianLinearRegression::fit(design, t, regression_options(s));
    const auto& m = model.blr;
    std::printf("blr: %lld basis functions, alpha %.6g (weight precision), beta %.6g (noise precision), "
                "effective parameters %.3f, log evidence %.6f, train rmse %.6g\n",
                static_cast<long long>(design.size(1)), m.alpha, m.beta, m.effective_parameters, m.log_evidence, m.training_rmse);
  } else {
    auto options = classical::ArdRegressionOptions().threshold(s.threshold);
    if (s.hyper_prior == "none") options.alpha_shape(0).alpha_rate(0).beta_shape(0).beta_rate(0);
    if (s.max_iter > 0) options.max_iter(s.max_iter);
    model.ard = classical::ArdRegression::fit(design, t, options);
    std::printf("ard: %lld of %lld weights kept, beta %.6g (noise precision), %lld iterations\n",
                static_cast<long long>(model.ard.kept.numel()), static_cast<long long>(design.size(1)), model.ard.beta,
                static_cast<long long>(model.ard.n_iter));
  }
  model.settings_json = settings_json(s, &model.basis);
}

// --bounds LO,HI (both positive, LO < HI) or "none".
std::pair<double, double> parse_bounds(const std::string& text) {
  if (text == "none") return {0.0, 0.0};
  const auto parts = split_list(text);
  double lo = 0, hi = 0;
  bool ok = parts.size() == 2;
  try {
    if (ok) {
      size_t used = 0;
      lo = std::stod(parts[0], &used);
      ok = used == parts[0].size();
      hi = std::stod(parts[1], &used);
      ok = ok && used == parts[1].size();
    }
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok || !(lo > 0) || !(hi > lo) || !std::isfinite(hi)) {
    throw std::invalid_argument("--bounds: expected LO,HI with 0 < LO < HI (e.g. 1e-5,1e5) or 'none', got '" + text + "'");
  }
  return {lo, hi};
}

void fit_gp(const FitSettings& s, const data::CsvTable& table, io::ClassicalModel& model, at::Generator& generator) {
  const auto x = table.select_double(model.features);
  const auto t = table.select_double({model.target}).squeeze(1).contiguous();
  if ((t == t[0]).all().item<bool>()) throw std::invalid_argument("--target: column '" + model.target + "' is constant");
  const auto kernel = parse_choice("--kernel", s.kernel, [](const std::string& text) { return classical::Kernel::parse(text); });
  const auto [lo, hi] = parse_bounds(s.bounds);
  require(s.max_jitter >= 0, "--max-jitter", "must be non-negative");
  if (s.inducing > 0) {
    require(s.batch_size >= 0, "--batch-size", "must be non-negative");
    require(s.epochs >= 1, "--epochs", "must be at least 1");
    require(s.learning_rate > 0, "--lr", "must be positive");
    auto options = classical::SparseGaussianProcessOptions(s.inducing)
                       .optimise(!s.no_optimise)
                       .optimise_inducing(!s.no_optimise)
                       .batch_size(s.batch_size)
                       .epochs(s.epochs)
                       .learning_rate(s.learning_rate)
                       .lower_bound(lo)
                       .upper_bound(hi)
                       .max_jitter(s.max_jitter)
                       .normalise_inputs(true)
                       .normalise_target(true);
    if (s.max_iter > 0) options.max_iter(s.max_iter);
    model.kind = "sparse_gp";
    model.sparse_gp = classical::SparseGaussianProcessRegression::fit(x, t, kernel, options, generator);
    const auto& m = model.sparse_gp;
    std::printf("sparse gp (%s bound): %lld inducing points, evidence lower bound %.6f (standardised targets), %lld %s\n",
                m.method.c_str(), static_cast<long long>(m.n_inducing()), m.bound, static_cast<long long>(m.n_iter),
                m.method == "collapsed" ? "L-BFGS iterations" : "minibatch steps");
    std::printf("kernel: %s\n", m.kernel.to_string().c_str());
    for (const auto& note : classical::parameters_at_bounds(m.kernel, lo, hi)) std::printf("note: %s\n", note.c_str());
    return;
  }
  require(s.restarts >= 0, "--restarts", "must be non-negative");
  auto options = classical::GaussianProcessOptions()
                     .optimise(!s.no_optimise)
                     .restarts(s.restarts)
                     .lower_bound(lo)
                     .upper_bound(hi)
                     .max_jitter(s.max_jitter)
                     .normalise_inputs(true)
                     .normalise_target(true);
  if (s.max_iter > 0) options.max_iter(s.max_iter);
  model.gp = classical::GaussianProcessRegression::fit(x, t, kernel, options, generator);
  const auto& m = model.gp;
  std::printf("gp: log marginal likelihood %.6f (%.6f in the target's units), %lld L-BFGS iterations, %lld evaluations, %zu start%s%s\n",
              m.log_marginal_likelihood, m.log_marginal_likelihood_original_units(), static_cast<long long>(m.n_iter),
              static_cast<long long>(m.n_evaluations), m.start_log_marginal_likelihoods.size() + (m.start_log_marginal_likelihoods.empty() ? 1 : 0),
              m.start_log_marginal_likelihoods.size() == 1 || m.start_log_marginal_likelihoods.empty() ? "" : "s",
              m.converged ? "" : " (not converged)");
  std::printf("kernel (standardised inputs and target): %s\n", m.kernel.to_string().c_str());
  if (m.jitter > 0) std::printf("jitter %.3g added to the kernel matrix's diagonal\n", m.jitter);
  for (const auto& note : classical::parameters_at_bounds(m.kernel, lo, hi)) std::printf("note: %s\n", note.c_str());
}

void fit_logistic(const FitSettings& s, const data::CsvTable& table, io::ClassicalModel& model) {
  const auto x = table.select_double(model.features);
  const auto encoded = data::encode_labels(table.text(model.target), table.path());  // refuses a single class
  require(s.alpha > 0, "--alpha", "must be positive");
  auto options = classical::BayesianLogisticRegressionOptions().alpha(s.alpha).optimise_alpha(!s.fixed_alpha).normalise_inputs(true);
  if (s.max_iter > 0) options.max_iter(s.max_iter);
  model.class_names = encoded.class_names;
  model.predictive = parse_choice("--predictive", s.predictive, classical::logistic_predictive_from_string);
  model.logistic = classical::BayesianLogisticRegression::fit(x, encoded.labels, static_cast<int64_t>(encoded.class_names.size()), options);
  const auto& m = model.logistic;
  const double accuracy = (m.map_probabilities(x).argmax(1) == encoded.labels).to(at::kDouble).mean().item<double>();
  std::printf("logistic: %zu classes, alpha %.6g (%s), log evidence %.6f, effective parameters %.3f, train accuracy %.4f\n",
              encoded.class_names.size(), m.alpha, s.fixed_alpha ? "given" : "evidence maximum", m.log_evidence,
              m.effective_parameters, accuracy);
}

void fit_hmm(const FitSettings& s, const data::CsvTable& table, io::ClassicalModel& model, at::Generator& generator) {
  require(s.states >= 1, "--states", "is required for hmm (a number of at least 1)");
  const auto emission = classical::emission_type_from_string(s.emission);
  const auto x = table.select_double(model.features);
  if (emission == classical::EmissionType::categorical) {
    require(model.features.size() == 1, "--features", "categorical emissions take one column of symbols, got " + std::to_string(model.features.size()));
  }
  model.sequence_column = s.sequence;
  const auto lengths = s.sequence.empty() ? std::vector<int64_t>{table.rows()}
                                          : classical::sequence_lengths(table.text(s.sequence), table.path());
  require(s.states <= table.rows(), "--states",
          std::to_string(s.states) + " states need at least as many observations; " + s.data + " has " + std::to_string(table.rows()));
  auto options = classical::HiddenMarkovModelOptions(s.states)
                     .emission(emission)
                     .covariance_type(classical::covariance_type_from_string(s.covariance))
                     .n_symbols(s.symbols)
                     .reg_covar(s.reg_covar);
  if (s.restarts > 0) options.n_init(s.restarts);
  if (s.max_iter > 0) options.max_iter(s.max_iter);
  if (emission == classical::EmissionType::gaussian) classical::check_no_constant_columns(x, model.features);
  model.hmm = classical::HiddenMarkovModel::fit(emission == classical::EmissionType::gaussian ? x : x.reshape({-1}), lengths, options,
                                                generator);
  const auto& m = model.hmm;
  const double total = m.log_likelihood_history.back();
  std::printf("hmm: %lld states (%s%s), %zu sequence%s, log-likelihood %.6f per observation (total %.6f), %lld Baum-Welch steps%s\n",
              static_cast<long long>(s.states), s.emission.c_str(), emission == classical::EmissionType::gaussian ? (", " + s.covariance).c_str() : "",
              lengths.size(), lengths.size() == 1 ? "" : "s", total / static_cast<double>(table.rows()), total,
              static_cast<long long>(m.n_iter), m.converged ? "" : " (not converged)");
}

void run_fit(const FitSettings& s) {
  check_output("--out", s.out, {{"--data", s.data}});
  apply_threads(s.threads);
  if (s.restarts < 0) throw std::invalid_argument("--restarts: must be at least 1");
  require(s.kind == "hmm" || s.sequence.empty(), "--sequence", "applies to hmm only");
  if (is_supervised(s.kind)) {
    require(!s.target.empty(), "--target", "is required for " + s.kind + (s.kind == "logistic" ? " (the class column)" : " (the column to predict)"));
  }
  // Class labels and sequence ids are read as text (they may be names), the rest as numbers.
  const auto table = data::read_csv(s.data);
  io::ClassicalModel model;
  model.kind = s.kind;
  if (is_supervised(s.kind)) {
    table.column_index(s.target);
    model.target = s.target;
  } else {
    require(s.target.empty(), "--target", s.kind + " is unsupervised and takes no target");
  }
  if (s.features.empty()) {
    for (const auto& name : table.columns_except(s.target)) {
      if (name != s.sequence) model.features.push_back(name);
    }
  } else {
    model.features = s.features;
  }
  require(!model.features.empty(), "--features", "no feature columns left in " + s.data);
  for (const auto& name : model.features) {
    table.column_index(name);
    require(name != s.target, "--features", "the target '" + s.target + "' cannot also be a feature");
    require(name != s.sequence, "--features", "the sequence column '" + s.sequence + "' cannot also be a feature");
  }
  auto generator = core::make_generator(s.seed);
  const int64_t rows = table.rows();
  auto need_components = [&](int64_t default_value) {
    const int64_t k = s.components > 0 ? s.components : default_value;
    require(k >= 1, "--components", "is required for " + s.kind + " (a number of at least 1)");
    require(k <= rows, "--components",
            std::to_string(k) + " components need at least as many rows; " + s.data + " has " + std::to_string(rows));
    return k;
  };
  if (is_regression(s.kind)) {
    fit_regression(s, table, model, generator);
  } else if (s.kind == "gp" || s.kind == "logistic" || s.kind == "hmm") {
    if (s.kind == "gp") fit_gp(s, table, model, generator);
    if (s.kind == "logistic") fit_logistic(s, table, model);
    if (s.kind == "hmm") fit_hmm(s, table, model, generator);
    model.settings_json = settings_json(s, nullptr);
  } else {
    const auto x = table.select_double(model.features);
    if (s.kind == "kmeans") {
      const int64_t k = need_components(0);
      auto options = classical::KMeansOptions(k);
      if (s.restarts > 0) options.n_init(s.restarts);
      if (s.max_iter > 0) options.max_iter(s.max_iter);
      model.kmeans = classical::KMeans::fit(x, options, generator);
      std::printf("kmeans: %lld clusters, inertia %.6g\n", static_cast<long long>(k), model.kmeans.inertia);
    } else if (s.kind == "gmm" || s.kind == "vgmm") {
      const int64_t k = need_components(s.kind == "vgmm" ? std::min<int64_t>(10, rows) : 0);
      require(s.reg_covar >= 0, "--reg-covar", "must be non-negative");
      classical::check_no_constant_columns(x, model.features);
      const auto init = classical::mixture_init_from_string(s.init);
      if (s.kind == "gmm") {
        auto options = classical::GaussianMixtureOptions(k)
                           .covariance_type(classical::covariance_type_from_string(s.covariance))
                           .reg_covar(s.reg_covar)
                           .init(init);
        if (s.restarts > 0) options.n_init(s.restarts);
        if (s.max_iter > 0) options.max_iter(s.max_iter);
        model.gmm = classical::GaussianMixture::fit(x, options, generator);
        std::printf("gmm: %lld components (%s), average log-likelihood %.6f, BIC %.6g, AIC %.6g, %lld iterations%s\n",
                    static_cast<long long>(k), s.covariance.c_str(), model.gmm.average_log_likelihood(x), model.gmm.bic(x),
                    model.gmm.aic(x), static_cast<long long>(model.gmm.n_iter), model.gmm.converged ? "" : " (not converged)");
      } else {
        require(s.covariance == "full", "--covariance", "vgmm uses full covariances (Gaussian-Wishart prior)");
        auto options = classical::VariationalGaussianMixtureOptions(k)
                           .weight_prior(classical::weight_prior_from_string(s.weight_prior))
                           .reg_covar(s.reg_covar)
                           .init(init);
        if (s.restarts > 0) options.n_init(s.restarts);
        if (s.max_iter > 0) options.max_iter(s.max_iter);
        model.vgmm = classical::VariationalGaussianMixture::fit(x, options, generator);
        const auto used = model.vgmm.used_components();
        const auto weights = model.vgmm.weights();
        std::printf("vgmm: %zu of %lld components used (weight >= 1%%), ELBO per row %.6f, %lld iterations%s\n", used.size(),
                    static_cast<long long>(k), model.vgmm.elbo_history.back(), static_cast<long long>(model.vgmm.n_iter),
                    model.vgmm.converged ? "" : " (not converged)");
        for (int64_t c = 0; c < k; ++c) {
          const double w = weights[c].item<double>();
          std::printf("  component %lld: weight %.4f%s\n", static_cast<long long>(c), w, w < 0.01 ? " (unused)" : "");
        }
      }
    } else if (s.kind == "pca") {
      const int64_t q = need_components(0);
      model.pca = classical::PCA::fit(x, q);
      std::printf("pca: %lld components explain %.4f of the variance\n", static_cast<long long>(q),
                  model.pca.explained_variance_ratio.sum().item<double>());
    } else if (s.kind == "ppca") {
      const int64_t q = need_components(0);
      require(q < static_cast<int64_t>(model.features.size()), "--components",
              "ppca needs fewer components than the " + std::to_string(model.features.size()) + " features");
      require(q < rows, "--components", "ppca needs more rows than components; " + s.data + " has " + std::to_string(rows));
      auto options = classical::ProbabilisticPCAOptions(q).method(classical::ppca_method_from_string(s.method));
      if (s.max_iter > 0) options.max_iter(s.max_iter);
      model.ppca = classical::ProbabilisticPCA::fit(x, options, generator);
      std::printf("ppca: %lld components, noise variance %.6g, average log-likelihood %.6f%s\n", static_cast<long long>(q),
                  model.ppca.noise_variance, model.ppca.average_log_likelihood(x),
                  model.ppca.converged ? "" : " (EM not converged)");
    }
    model.settings_json = settings_json(s, nullptr);
  }
  io::write_archive(s.out, io::to_archive(model));
  std::printf("wrote %s\n", s.out.c_str());
}

}  // namespace

void add_fit_command(CLI::App& app) {
  auto settings = std::make_shared<FitSettings>();
  auto* command = app.add_subcommand("fit", "Fit a classical Bayesian model (blr, ard, kmeans, gmm, vgmm, pca, ppca, gp, logistic, hmm)");
  command->add_option("model", settings->kind, "blr, ard, kmeans, gmm, vgmm, pca, ppca, gp, logistic or hmm")
      ->required()
      ->check(CLI::IsMember({"blr", "ard", "kmeans", "gmm", "vgmm", "pca", "ppca", "gp", "logistic", "hmm"}));
  command->add_option("--data", settings->data, "CSV file with a header row")->required();
  command->add_option("--out", settings->out, "Model file to write")->required();
  command->add_option("--target", settings->target, "Column to predict (blr, ard, gp) or the class column (logistic)");
  command->add_option("--features", settings->features, "Input columns (default: every column but the target)")->delimiter(',');
  command->add_option("--components", settings->components, "Clusters, mixture components or latent dimensions");
  command->add_option("--covariance", settings->covariance, "gmm and hmm covariance: full, diag or spherical")
      ->check(CLI::IsMember({"full", "diag", "spherical"}));
  command->add_option("--degree", settings->degree, "Polynomial degree M, or 'auto' to pick it by evidence (blr)");
  command->add_option("--max-degree", settings->max_degree, "Largest degree tried by --degree auto")->check(CLI::Range(0, 30));
  command->add_option("--basis", settings->basis, "Basis functions: identity, polynomial or rbf")
      ->check(CLI::IsMember({"identity", "polynomial", "rbf"}));
  command->add_option("--centres", settings->centres, "Number of rbf centres (chosen by k-means++ among the rows)");
  command->add_option("--width", settings->width, "rbf width, in standard deviations of the inputs");
  command->add_option("--hyper-prior", settings->hyper_prior,
                      "gamma: Gamma(1e-6, 1e-6) priors on the precisions (as scikit-learn); none: plain evidence maximisation")
      ->check(CLI::IsMember({"gamma", "none"}));
  command->add_option("--threshold", settings->threshold, "ard: prune weights whose precision exceeds this");
  command->add_option("--init", settings->init, "Mixture start: kmeans (k-means++ seeds) or random")
      ->check(CLI::IsMember({"kmeans", "random"}));
  command->add_option("--restarts", settings->restarts, "Independent starts; the best is kept (gp: further L-BFGS starts)");
  command->add_option("--max-iter", settings->max_iter, "Iteration limit (0: the model's default; gp: L-BFGS iterations per start)");
  command->add_option("--reg-covar", settings->reg_covar, "Covariance floor added to the diagonal (gmm, vgmm, hmm)");
  command->add_option("--weight-prior", settings->weight_prior, "vgmm weights: dp (stick-breaking) or dirichlet")
      ->check(CLI::IsMember({"dp", "dirichlet"}));
  command->add_option("--method", settings->method, "ppca fit: closed-form or em")->check(CLI::IsMember({"closed-form", "em"}));
  command->add_option("--kernel", settings->kernel,
                      "gp kernel expression: rbf, matern12, matern32, matern52, rq, periodic, linear, white, constant, "
                      "joined by + and *, with (ard), (fixed) and (param=value) arguments, e.g. 'rbf(ard)+white' (grammar: docs/classical.md)")
      ->capture_default_str();
  command->add_option("--inducing", settings->inducing, "gp: M inducing points for the sparse variational GP (0: the exact GP)");
  command->add_option("--batch-size", settings->batch_size, "sparse gp: minibatch rows (Hensman et al. 2013; 0: Titsias's bound on all rows)");
  command->add_option("--epochs", settings->epochs, "sparse gp with --batch-size: passes over the data")->capture_default_str();
  command->add_option("--lr", settings->learning_rate, "sparse gp with --batch-size: Adam's rate")->capture_default_str();
  command->add_option("--bounds", settings->bounds, "gp: every hyper-parameter within LO,HI (standardised units), or none")
      ->capture_default_str();
  command->add_option("--max-jitter", settings->max_jitter, "gp: largest jitter tried, relative to the kernel matrix's mean diagonal")
      ->capture_default_str();
  command->add_flag("--no-optimise", settings->no_optimise, "gp: keep the kernel's hyper-parameters as given");
  command->add_option("--alpha", settings->alpha, "logistic: prior precision of the weights (the start of the evidence search)")
      ->capture_default_str();
  command->add_flag("--fixed-alpha", settings->fixed_alpha, "logistic: keep --alpha instead of maximising the evidence");
  command->add_option("--predictive", settings->predictive, "logistic: probit (approximation) or mc (Monte Carlo over the Laplace posterior)")
      ->check(CLI::IsMember({"probit", "mc"}))
      ->capture_default_str();
  command->add_option("--states", settings->states, "hmm: number of hidden states");
  command->add_option("--emission", settings->emission, "hmm emissions: gaussian or categorical (one column of symbols 0, 1, ...)")
      ->check(CLI::IsMember({"gaussian", "categorical"}))
      ->capture_default_str();
  command->add_option("--sequence", settings->sequence, "hmm: column of sequence ids (each sequence's rows contiguous); default: one sequence");
  command->add_option("--symbols", settings->symbols, "hmm categorical: alphabet size (0: the largest symbol + 1)");
  command->add_option("--seed", settings->seed, "Seed of every random draw (k-means++, random starts, EM start, GP restarts)");
  add_threads_option(command, settings->threads);
  command->callback([settings] { run_fit(*settings); });
}

}  // namespace credence::cli
