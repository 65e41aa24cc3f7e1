// Every classical model survives the model file: saved, loaded, and predicting the same
// (bit for bit: the GPs' factors are recomputed on load with the stored jitter).
#include "credence/classical/basis.h"
#include "credence/core/rng.h"
#include "credence/io/classical_archive.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

namespace credence::io {
namespace {

ClassicalModel round_trip(const ClassicalModel& model) {
  credence::testing::TemporaryDirectory directory;
  const auto path = directory.path("model.credence");
  write_archive(path, to_archive(model));
  return classical_model_from_archive(read_archive(path));
}

at::Tensor blobs(at::Generator& generator) {
  const auto centres = at::tensor({0.0, 0.0, 6.0, 0.0, 3.0, 5.0}, at::kDouble).reshape({3, 2});
  return centres.index_select(0, at::arange(3, at::kLong).repeat_interleave(30)) + at::randn({90, 2}, generator, at::kDouble);
}

TEST(ClassicalArchive, RegressionModelsRoundTrip) {
  auto generator = core::make_generator(1);
  const auto x = at::rand({40, 2}, generator, at::kDouble);
  const auto t = at::sin(6.0 * x.select(1, 0)) + x.select(1, 1) + 0.1 * at::randn({40}, generator, at::kDouble);
  for (const std::string kind : {"blr", "ard"}) {
    ClassicalModel model;
    model.kind = kind;
    model.features = {"a", "b"};
    model.target = "y";
    model.basis = classical::Basis::polynomial(3);
    model.basis.standardise_inputs(x);
    const auto design = model.basis.expand(x);
    if (kind == "blr") model.blr = classical::BayesianLinearRegression::fit(design, t);
    else model.ard = classical::ArdRegression::fit(design, t);
    const auto loaded = round_trip(model);
    EXPECT_EQ(loaded.kind, kind);
    EXPECT_EQ(loaded.features, model.features);
    EXPECT_EQ(loaded.target, "y");
    const auto before = kind == "blr" ? model.blr.predict(design) : model.ard.predict(design);
    const auto reloaded_design = loaded.basis.expand(x);
    const auto after = kind == "blr" ? loaded.blr.predict(reloaded_design) : loaded.ard.predict(reloaded_design);
    EXPECT_TRUE(at::equal(before.mean, after.mean)) << kind;
    EXPECT_TRUE(at::equal(before.variance(), after.variance())) << kind;
  }
  // An rbf basis keeps its centres and width.
  ClassicalModel model;
  model.kind = "blr";
  model.features = {"a", "b"};
  model.target = "y";
  model.basis = classical::Basis::rbf(x.slice(0, 0, 5), 0.3);
  model.blr = classical::BayesianLinearRegression::fit(model.basis.expand(x), t);
  const auto loaded = round_trip(model);
  EXPECT_TRUE(at::equal(loaded.basis.expand(x), model.basis.expand(x)));
}

TEST(ClassicalArchive, UnsupervisedModelsRoundTrip) {
  auto generator = core::make_generator(2);
  const auto x = blobs(generator);
  ClassicalModel base;
  base.features = {"a", "b"};

  auto kmeans = base;
  kmeans.kind = "kmeans";
  kmeans.kmeans = classical::KMeans::fit(x, classical::KMeansOptions(3), generator);
  EXPECT_TRUE(at::equal(round_trip(kmeans).kmeans.predict(x), kmeans.kmeans.predict(x)));

  for (auto type : {classical::CovarianceType::full, classical::CovarianceType::diag, classical::CovarianceType::spherical}) {
    auto gmm = base;
    gmm.kind = "gmm";
    gmm.gmm = classical::GaussianMixture::fit(x, classical::GaussianMixtureOptions(3).covariance_type(type), generator);
    EXPECT_TRUE(at::equal(round_trip(gmm).gmm.log_likelihood(x), gmm.gmm.log_likelihood(x)));
  }

  for (auto prior : {classical::WeightPrior::dirichlet_distribution, classical::WeightPrior::dirichlet_process}) {
    auto vgmm = base;
    vgmm.kind = "vgmm";
    vgmm.vgmm = classical::VariationalGaussianMixture::fit(x, classical::VariationalGaussianMixtureOptions(5).weight_prior(prior), generator);
    const auto loaded = round_trip(vgmm);
    EXPECT_TRUE(at::equal(loaded.vgmm.log_likelihood(x), vgmm.vgmm.log_likelihood(x)));
    EXPECT_EQ(loaded.vgmm.used_components(), vgmm.vgmm.used_components());
  }

  auto pca = base;
  pca.kind = "pca";
  pca.pca = classical::PCA::fit(x, 1);
  EXPECT_TRUE(at::equal(round_trip(pca).pca.transform(x), pca.pca.transform(x)));

  auto ppca = base;
  ppca.kind = "ppca";
  ppca.ppca = classical::ProbabilisticPCA::fit(x, classical::ProbabilisticPCAOptions(1), generator);
  const auto loaded = round_trip(ppca);
  EXPECT_TRUE(at::equal(loaded.ppca.log_likelihood(x), ppca.ppca.log_likelihood(x)));
  EXPECT_TRUE(at::equal(loaded.ppca.latent_mean(x), ppca.ppca.latent_mean(x)));
}

TEST(ClassicalArchive, GaussianProcessesRoundTrip) {
  auto generator = core::make_generator(4);
  const auto x = 4.0 * at::rand({40, 2}, generator, at::kDouble);
  const auto t = at::sin(x.select(1, 0)) * x.select(1, 1) + 0.1 * at::randn({40}, generator, at::kDouble) + 3.0;
  const auto x_test = 5.0 * at::rand({9, 2}, generator, at::kDouble);
  ClassicalModel base;
  base.features = {"a", "b"};
  base.target = "y";

  auto exact = base;
  exact.kind = "gp";
  exact.gp = classical::GaussianProcessRegression::fit(
      x, t, classical::Kernel::parse("rbf(ard) * periodic(period=3, fixed) + white"),
      classical::GaussianProcessOptions().normalise_inputs(true).normalise_target(true).max_iter(20), generator);
  const auto loaded = round_trip(exact);
  EXPECT_EQ(loaded.gp.kernel.to_string(), exact.gp.kernel.to_string());
  EXPECT_TRUE(at::equal(loaded.gp.kernel.all_log_parameters(), exact.gp.kernel.all_log_parameters()));
  EXPECT_EQ(loaded.gp.jitter, exact.gp.jitter);
  EXPECT_EQ(loaded.gp.log_marginal_likelihood, exact.gp.log_marginal_likelihood);
  const auto before = exact.gp.predict(x_test), after = loaded.gp.predict(x_test);
  EXPECT_TRUE(at::equal(before.mean, after.mean));
  EXPECT_TRUE(at::equal(before.epistemic_variance, after.epistemic_variance));
  EXPECT_TRUE(at::equal(before.aleatoric_variance, after.aleatoric_variance));

  for (int64_t batch : {0, 10}) {
    auto sparse = base;
    sparse.kind = "sparse_gp";
    sparse.sparse_gp = classical::SparseGaussianProcessRegression::fit(
        x, t, classical::Kernel::parse("matern52+white"),
        classical::SparseGaussianProcessOptions(6).batch_size(batch).epochs(2).max_iter(10).normalise_inputs(true).normalise_target(true),
        generator);
    const auto reloaded = round_trip(sparse);
    EXPECT_EQ(reloaded.sparse_gp.method, sparse.sparse_gp.method);
    EXPECT_EQ(reloaded.sparse_gp.bound, sparse.sparse_gp.bound);
    const auto a = sparse.sparse_gp.predict(x_test), b = reloaded.sparse_gp.predict(x_test);
    EXPECT_TRUE(at::equal(a.mean, b.mean)) << batch;
    EXPECT_TRUE(at::equal(a.variance(), b.variance())) << batch;
  }
}

TEST(ClassicalArchive, LogisticRegressionAndHiddenMarkovModelsRoundTrip) {
  auto generator = core::make_generator(5);
  const auto x = blobs(generator);
  const auto labels = at::arange(3, at::kLong).repeat_interleave(30);
  for (int64_t classes : {2, 3}) {
    ClassicalModel model;
    model.kind = "logistic";
    model.features = {"a", "b"};
    model.target = "label";
    model.class_names = classes == 2 ? std::vector<std::string>{"no", "yes"} : std::vector<std::string>{"x", "y", "z"};
    model.predictive = classical::LogisticPredictive::monte_carlo;
    model.logistic = classical::BayesianLogisticRegression::fit(x, labels.clamp_max(classes - 1), classes,
                                                                classical::BayesianLogisticRegressionOptions().alpha(0.5).optimise_alpha(false).normalise_inputs(true));
    const auto loaded = round_trip(model);
    EXPECT_EQ(loaded.class_names, model.class_names);
    EXPECT_EQ(loaded.predictive, model.predictive);
    EXPECT_EQ(loaded.logistic.alpha, 0.5);
    EXPECT_TRUE(at::equal(loaded.logistic.probit_probabilities(x), model.logistic.probit_probabilities(x))) << classes;
    auto g1 = core::make_generator(9), g2 = core::make_generator(9);
    EXPECT_TRUE(at::equal(loaded.logistic.sample_probabilities(x, 5, g1), model.logistic.sample_probabilities(x, 5, g2))) << classes;
  }
  for (const std::string emission : {"full", "diag", "categorical"}) {
    ClassicalModel model;
    model.kind = "hmm";
    model.sequence_column = "run";
    auto options = classical::HiddenMarkovModelOptions(3).max_iter(10);
    at::Tensor data = x;
    if (emission == "categorical") {
      options.emission(classical::EmissionType::categorical);
      data = (x.select(1, 0) > 2).to(at::kDouble) + (x.select(1, 1) > 2).to(at::kDouble) * 2;
      model.features = {"symbol"};
    } else {
      options.covariance_type(classical::covariance_type_from_string(emission));
      model.features = {"a", "b"};
    }
    model.hmm = classical::HiddenMarkovModel::fit(data, {40, 50}, options, generator);
    const auto loaded = round_trip(model);
    EXPECT_EQ(loaded.sequence_column, "run");
    EXPECT_EQ(loaded.hmm.emission, model.hmm.emission);
    EXPECT_EQ(loaded.hmm.log_likelihood(data, {40, 50}), model.hmm.log_likelihood(data, {40, 50})) << emission;
    EXPECT_TRUE(at::equal(loaded.hmm.viterbi(data, {90}).first, model.hmm.viterbi(data, {90}).first)) << emission;
  }
}

TEST(ClassicalArchive, MismatchedTensorIsReportedWithThePath) {
  auto generator = core::make_generator(3);
  ClassicalModel model;
  model.kind = "kmeans";
  model.features = {"a", "b", "c"};  // three names, but centres over two features
  model.kmeans = classical::KMeans::fit(blobs(generator), classical::KMeansOptions(2), generator);
  credence::testing::TemporaryDirectory directory;
  const auto path = directory.path("bad.credence");
  write_archive(path, to_archive(model));
  try {
    classical_model_from_archive(read_archive(path));
    FAIL() << "expected ArchiveError";
  } catch (const ArchiveError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("centres"), std::string::npos);
  }
}

}  // namespace
}  // namespace credence::io
