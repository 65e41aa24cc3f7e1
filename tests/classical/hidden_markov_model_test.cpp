// Hidden Markov models: log-likelihoods, Viterbi paths and Baum-Welch steps against
// pomegranate 0.14.8 on the same parameters and data; the forward-backward marginals and the
// Viterbi path against enumerating every state path of a tiny model; Baum-Welch's
// log-likelihood never decreasing; sequence ids and bad input.
#include "classical/reference_data.h"

#include "credence/classical/hidden_markov_model.h"
#include "credence/core/rng.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <cmath>

namespace credence::classical {
namespace {

using testing::expect_close;
using testing::load_reference;
using testing::to_tensor;

using credence::testing::kDouble;

struct Sequences {
  at::Tensor x;
  std::vector<int64_t> lengths;
};

Sequences sequences_of(const nlohmann::json& j) {
  Sequences s;
  std::vector<at::Tensor> parts;
  for (const auto& sequence : j) {
    parts.push_back(to_tensor(sequence));
    s.lengths.push_back(static_cast<int64_t>(sequence.size()));
  }
  s.x = at::cat(parts);
  return s;
}

HiddenMarkovModel model_of(const std::string& kind, const nlohmann::json& c, const std::string& prefix = "") {
  const auto start = to_tensor(c[prefix + "start"]), transition = to_tensor(c[prefix + "transition"]);
  const auto& p = prefix.empty() ? c : c["fitted"];
  if (kind == "categorical") return HiddenMarkovModel::categorical(start, transition, to_tensor(p["emission_probabilities"]));
  return HiddenMarkovModel::gaussian(start, transition, to_tensor(p["means"]), to_tensor(p["covariances"]),
                                     kind == "full" ? CovarianceType::full : CovarianceType::diag);
}

class HiddenMarkovModelParity : public ::testing::TestWithParam<std::string> {};

// The same parameters: the forward algorithm's log-likelihood and the Viterbi path and score
// are exact computations on both sides (pomegranate in log space, credence scaled), so 1e-6.
TEST_P(HiddenMarkovModelParity, MatchesPomegranateOnTheSameParameters) {
  const auto ref = load_reference("hmm.json");
  const auto& c = ref[GetParam()];
  const auto data = sequences_of(c["sequences"]);
  const auto model = model_of(GetParam(), c);
  const auto posterior = model.posterior(data.x, data.lengths);
  expect_close(at::tensor(posterior.log_likelihoods, kDouble), to_tensor(c["log_likelihoods"]), 1e-6, "log-likelihoods");
  const auto [path, scores] = model.viterbi(data.x, data.lengths);
  std::vector<int64_t> expected;
  for (const auto& p : c["viterbi_paths"]) {
    for (const auto& state : p) expected.push_back(state.get<int64_t>());
  }
  EXPECT_TRUE(at::equal(path, at::tensor(expected, at::TensorOptions().dtype(at::kLong))));
  expect_close(at::tensor(scores, kDouble), to_tensor(c["viterbi_log_probabilities"]), 1e-6, "Viterbi log-probabilities");
}

// Five Baum-Welch steps from the same start without a covariance floor (pomegranate has none):
// start, transitions, emissions and the final log-likelihoods to 1e-4.
TEST_P(HiddenMarkovModelParity, BaumWelchMatchesPomegranateFromTheSameStart) {
  const auto ref = load_reference("hmm.json");
  const auto& c = ref[GetParam()];
  const auto data = sequences_of(c["sequences"]);
  const auto options = HiddenMarkovModelOptions(model_of(GetParam(), c).n_states())
                           .max_iter(c["iterations"].get<int64_t>()).tol(0.0).reg_covar(0.0);
  const auto fitted = HiddenMarkovModel::fit_from(data.x, data.lengths, model_of(GetParam(), c), options);
  EXPECT_EQ(fitted.n_iter, c["iterations"].get<int64_t>());
  const auto expected = model_of(GetParam(), c, "fitted_");
  expect_close(fitted.start, expected.start, 1e-4, "start");
  expect_close(fitted.transition, expected.transition, 1e-4, "transition");
  if (GetParam() == "categorical") {
    expect_close(fitted.emission_probabilities, expected.emission_probabilities, 1e-4, "emission probabilities");
  } else {
    expect_close(fitted.means, expected.means, 1e-4, "means");
    expect_close(fitted.covariances, expected.covariances, 1e-4, "covariances");
  }
  expect_close(at::tensor(fitted.posterior(data.x, data.lengths).log_likelihoods, kDouble), to_tensor(c["fitted_log_likelihoods"]),
               1e-4, "log-likelihoods after Baum-Welch");
}

INSTANTIATE_TEST_SUITE_P(Emissions, HiddenMarkovModelParity, ::testing::Values("full", "diag", "categorical"));

HiddenMarkovModel tiny_model(at::Generator& generator) {
  auto transition = at::rand({3, 3}, generator, kDouble) + 0.1;
  auto start = at::rand({3}, generator, kDouble) + 0.1;
  const auto means = at::randn({3, 2}, generator, kDouble);
  const auto a = 0.5 * at::randn({3, 2, 2}, generator, kDouble);
  const auto covariances = a.matmul(a.transpose(1, 2)) + 0.3 * at::eye(2, kDouble);
  return HiddenMarkovModel::gaussian(start / start.sum(), transition / transition.sum(1, true), means, covariances,
                                     CovarianceType::full);
}

// Every one of the 3^6 state paths of one sequence: the likelihood is their sum, the Viterbi
// path their argmax, and each marginal p(z_t = k | x) the share of the paths through k at t.
TEST(HiddenMarkovModel, MatchesEnumerationOfEveryPath) {
  for (std::uint64_t seed : {1, 2, 3}) {
    auto generator = core::make_generator(seed);
    const auto model = tiny_model(generator);
    const int64_t t_len = 6, k = 3;
    const auto x = 1.5 * at::randn({t_len, 2}, generator, kDouble);
    const auto log_b = model.emission_log_likelihood(x);
    double total = 0.0, best = -1.0;
    std::vector<int64_t> best_path;
    auto marginals = at::zeros({t_len, k}, kDouble);
    std::vector<int64_t> path(t_len, 0);
    for (int64_t code = 0; code < 729; ++code) {
      int64_t rest = code;
      for (int64_t t = 0; t < t_len; ++t, rest /= k) path[t] = rest % k;
      double p = model.start[path[0]].item<double>() * std::exp(log_b[0][path[0]].item<double>());
      for (int64_t t = 1; t < t_len; ++t) p *= model.transition[path[t - 1]][path[t]].item<double>() * std::exp(log_b[t][path[t]].item<double>());
      total += p;
      for (int64_t t = 0; t < t_len; ++t) marginals[t][path[t]] += p;
      if (p > best) {
        best = p;
        best_path = path;
      }
    }
    const auto posterior = model.posterior(x, {t_len});
    expect_close(posterior.total_log_likelihood, std::log(total), 1e-12, "log-likelihood");
    expect_close(posterior.marginals, marginals / total, 1e-12, "marginals");
    EXPECT_TRUE(at::allclose(posterior.marginals.sum(1), at::ones({t_len}, kDouble), 1e-14, 1e-14));
    const auto [viterbi, scores] = model.viterbi(x, {t_len});
    EXPECT_TRUE(at::equal(viterbi, at::tensor(best_path, at::TensorOptions().dtype(at::kLong)))) << seed;
    expect_close(scores[0], std::log(best), 1e-12, "Viterbi log-probability");
  }
}

// Long sequences in one piece: the scaled recursions neither under- nor overflow, and every
// marginal sums to one.
TEST(HiddenMarkovModel, MarginalsSumToOneOnLongSequences) {
  auto generator = core::make_generator(4);
  const auto model = tiny_model(generator);
  const auto x = 3.0 * at::randn({5000, 2}, generator, kDouble);
  const auto posterior = model.posterior(x, {1000, 4000});
  EXPECT_TRUE(at::allclose(posterior.marginals.sum(1), at::ones({5000}, kDouble), 1e-12, 1e-12));
  EXPECT_TRUE(std::isfinite(posterior.total_log_likelihood));
  EXPECT_LT(posterior.total_log_likelihood, 0.0);
  EXPECT_NEAR(posterior.log_likelihoods[0] + posterior.log_likelihoods[1], posterior.total_log_likelihood, 1e-9);
}

// EM never lowers the likelihood (Bishop 13.2.1); with the covariance floor the M-step is a
// near-maximiser only, so round-off-sized dips (1e-9 per observation) are allowed.
TEST(HiddenMarkovModel, BaumWelchNeverDecreasesTheLogLikelihood) {
  const auto& ref = load_reference("hmm.json");
  for (const std::string kind : {"full", "diag", "categorical"}) {
    const auto data = sequences_of(ref[kind]["sequences"]);
    for (std::uint64_t seed : {1, 2, 3}) {
      auto generator = core::make_generator(seed);
      auto options = HiddenMarkovModelOptions(kind == "categorical" ? 2 : 3).max_iter(60).tol(0.0);
      if (kind == "categorical") options.emission(EmissionType::categorical);
      if (kind == "diag") options.covariance_type(CovarianceType::diag);
      const auto model = HiddenMarkovModel::fit(data.x, data.lengths, options, generator);
      const auto& h = model.log_likelihood_history;
      ASSERT_EQ(h.size(), 60u);
      for (size_t i = 1; i < h.size(); ++i) EXPECT_GE(h[i], h[i - 1] - 1e-9 * 100) << kind << " seed " << seed << " step " << i;
      EXPECT_GT(h.back(), h.front()) << kind << " seed " << seed;
    }
  }
}

// Restarts keep the best start: never worse than the first of them alone (same seed).
TEST(HiddenMarkovModel, RestartsKeepTheBestStart) {
  const auto data = sequences_of(load_reference("hmm.json")["full"]["sequences"]);
  for (std::uint64_t seed : {5, 6}) {
    auto g1 = core::make_generator(seed), g2 = core::make_generator(seed);
    const auto one = HiddenMarkovModel::fit(data.x, data.lengths, HiddenMarkovModelOptions(3), g1);
    const auto four = HiddenMarkovModel::fit(data.x, data.lengths, HiddenMarkovModelOptions(3).n_init(4), g2);
    EXPECT_GE(four.log_likelihood_history.back(), one.log_likelihood_history.back() - 1e-9) << seed;
  }
}

TEST(HiddenMarkovModel, SequenceIdsMustBeContiguous) {
  EXPECT_EQ(sequence_lengths({"a", "a", "b", "c", "c", "c"}, "f.csv"), (std::vector<int64_t>{2, 1, 3}));
  EXPECT_EQ(sequence_lengths({"7"}, "f.csv"), (std::vector<int64_t>{1}));
  try {
    sequence_lengths({"a", "a", "b", "a"}, "f.csv");
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("f.csv:5: sequence 'a' (which started on line 2) comes back"), std::string::npos) << e.what();
  }
}

TEST(HiddenMarkovModel, RejectsBadInput) {
  auto generator = core::make_generator(7);
  const auto x = at::randn({5, 2}, generator, kDouble);
  auto expect_message = [&](const std::function<void()>& f, const std::string& expected) {
    try {
      f();
      ADD_FAILURE() << "expected an exception with '" << expected << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  expect_message([&] { HiddenMarkovModel::fit(x, {5}, HiddenMarkovModelOptions(6), generator); }, "6 states need at least as many observations");
  expect_message([&] { HiddenMarkovModel::fit(x, {3, 0, 2}, HiddenMarkovModelOptions(2), generator); }, "sequence 2 has length zero");
  expect_message([&] { HiddenMarkovModel::fit(x, {3, 3}, HiddenMarkovModelOptions(2), generator); }, "add up to 6");
  const auto symbols = at::tensor({0.0, 1.0, 2.5, 1.0}, kDouble);
  expect_message([&] { HiddenMarkovModel::fit(symbols, {4}, HiddenMarkovModelOptions(2).emission(EmissionType::categorical), generator); },
                 "whole numbers");
}

}  // namespace
}  // namespace credence::classical
