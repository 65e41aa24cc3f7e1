// Hidden Markov models: scaled forward-backward, Viterbi and Baum-Welch.
//
// The emission log-densities of all rows come from one batched evaluation (the Gaussian
// mixture's, with unit weights); the recursions over time, whose steps depend on each other,
// run as plain loops over [K] vectors, since a tensor operation per time step would cost more
// in dispatch than the K^2 multiply-adds it does.
#include "credence/classical/hidden_markov_model.h"

#include "credence/classical/kmeans.h"
#include "credence/classical/validation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>

namespace credence::classical {

namespace {

const auto kDouble = at::TensorOptions().dtype(at::kDouble);

void check_lengths(const std::vector<int64_t>& lengths, int64_t rows) {
  if (lengths.empty()) throw std::invalid_argument("hmm: no sequences");
  int64_t total = 0;
  for (size_t s = 0; s < lengths.size(); ++s) {
    if (lengths[s] <= 0) throw std::invalid_argument("hmm: sequence " + std::to_string(s + 1) + " has length zero");
    total += lengths[s];
  }
  if (total != rows) {
    throw std::invalid_argument("hmm: the sequence lengths add up to " + std::to_string(total) + ", the data has " +
                                std::to_string(rows) + " rows");
  }
}

void check_stochastic(const at::Tensor& p, const std::string& what) {
  if (!at::isfinite(p).all().item<bool>() || (p < 0).any().item<bool>()) throw std::invalid_argument("hmm: " + what + " must be non-negative");
  const auto sums = p.dim() == 1 ? p.sum().reshape({1}) : p.sum(1);
  if (!at::allclose(sums, at::ones_like(sums), 1e-8, 1e-8)) throw std::invalid_argument("hmm: " + what + " must sum to 1");
}

// Categorical observations as int64 symbols [N]; throws unless every value is a whole number in [0, symbols).
at::Tensor symbols_of(const at::Tensor& x, int64_t symbols) {
  if (!(x.dim() == 1 || (x.dim() == 2 && x.size(1) == 1))) throw std::invalid_argument("hmm: categorical emissions take one column of symbols");
  const auto values = x.to(at::kDouble).reshape({-1});
  if (!at::isfinite(values).all().item<bool>() || !(values == values.round()).all().item<bool>() || (values < 0).any().item<bool>()) {
    throw std::invalid_argument("hmm: categorical symbols must be whole numbers 0, 1, 2, ...");
  }
  if (symbols > 0 && values.numel() > 0 && values.max().item<double>() >= static_cast<double>(symbols)) {
    throw std::invalid_argument("hmm: symbol " + std::to_string(static_cast<int64_t>(values.max().item<double>())) +
                                " is outside the model's 0.." + std::to_string(symbols - 1));
  }
  return values.to(at::kLong);
}

GaussianMixture emission_mixture(const HiddenMarkovModel& model) {
  // Unit weights: the mixture's weighted log-probabilities are then the components' log-densities.
  return GaussianMixture::from_parameters(at::ones({model.n_states()}, kDouble), model.means, model.covariances,
                                          model.covariance_type);
}

}  // namespace

EmissionType emission_type_from_string(const std::string& name) {
  if (name == "gaussian") return EmissionType::gaussian;
  if (name == "categorical") return EmissionType::categorical;
  throw std::invalid_argument("--emission: expected gaussian or categorical, got '" + name + "'");
}

std::string to_string(EmissionType type) { return type == EmissionType::gaussian ? "gaussian" : "categorical"; }

std::vector<int64_t> sequence_lengths(const std::vector<std::string>& ids, const std::string& where) {
  std::vector<int64_t> lengths;
  std::map<std::string, size_t> seen;  // id -> row where its run started
  for (size_t row = 0; row < ids.size(); ++row) {
    if (row > 0 && ids[row] == ids[row - 1]) {
      ++lengths.back();
      continue;
    }
    const auto previous = seen.find(ids[row]);
    if (previous != seen.end()) {
      throw std::invalid_argument(where + ":" + std::to_string(row + 2) + ": sequence '" + ids[row] + "' (which started on line " +
                                  std::to_string(previous->second + 2) +
                                  ") comes back after other sequences; the rows of a sequence must be contiguous");
    }
    seen.emplace(ids[row], row);
    lengths.push_back(1);
  }
  return lengths;
}

HiddenMarkovModel HiddenMarkovModel::gaussian(const at::Tensor& start, const at::Tensor& transition, const at::Tensor& means,
                                              const at::Tensor& covariances, CovarianceType type) {
  HiddenMarkovModel model;
  model.emission = EmissionType::gaussian;
  model.covariance_type = type;
  model.start = start.to(at::kDouble).contiguous();
  model.transition = transition.to(at::kDouble).contiguous();
  const int64_t k = model.start.size(0);
  if (model.transition.sizes() != at::IntArrayRef{k, k}) throw std::invalid_argument("hmm: the transition matrix must be [K, K]");
  check_stochastic(model.start, "start probabilities");
  check_stochastic(model.transition, "transition rows");
  const auto mixture = GaussianMixture::from_parameters(at::ones({k}, kDouble), means, covariances, type);
  model.means = mixture.means;
  model.covariances = mixture.covariances;
  return model;
}

HiddenMarkovModel HiddenMarkovModel::categorical(const at::Tensor& start, const at::Tensor& transition,
                                                 const at::Tensor& emission_probabilities) {
  HiddenMarkovModel model;
  model.emission = EmissionType::categorical;
  model.start = start.to(at::kDouble).contiguous();
  model.transition = transition.to(at::kDouble).contiguous();
  model.emission_probabilities = emission_probabilities.to(at::kDouble).contiguous();
  const int64_t k = model.start.size(0);
  if (model.transition.sizes() != at::IntArrayRef{k, k}) throw std::invalid_argument("hmm: the transition matrix must be [K, K]");
  if (model.emission_probabilities.dim() != 2 || model.emission_probabilities.size(0) != k) {
    throw std::invalid_argument("hmm: emission probabilities must be [K, symbols]");
  }
  check_stochastic(model.start, "start probabilities");
  check_stochastic(model.transition, "transition rows");
  check_stochastic(model.emission_probabilities, "emission rows");
  return model;
}

int64_t HiddenMarkovModel::n_features() const { return emission == EmissionType::gaussian ? means.size(1) : 1; }

int64_t HiddenMarkovModel::n_parameters() const {
  const int64_t k = n_states();
  int64_t emission_parameters = 0;
  if (emission == EmissionType::categorical) {
    emission_parameters = k * (n_symbols() - 1);
  } else {
    const int64_t d = means.size(1);
    emission_parameters = k * d;
    switch (covariance_type) {
      case CovarianceType::full: emission_parameters += k * d * (d + 1) / 2; break;
      case CovarianceType::diag: emission_parameters += k * d; break;
      case CovarianceType::spherical: emission_parameters += k; break;
    }
  }
  return (k - 1) + k * (k - 1) + emission_parameters;
}

at::Tensor HiddenMarkovModel::emission_log_likelihood(const at::Tensor& x) const {
  if (emission == EmissionType::gaussian) return emission_mixture(*this).weighted_log_prob(x).contiguous();
  const auto symbols = symbols_of(x, n_symbols());
  return emission_probabilities.log().t().index_select(0, symbols).contiguous();  // [N, K]
}

HiddenMarkovModel::Posterior HiddenMarkovModel::posterior(const at::Tensor& x, const std::vector<int64_t>& lengths) const {
  const auto log_b = emission_log_likelihood(x);
  const int64_t n = log_b.size(0), k = n_states();
  check_lengths(lengths, n);
  Posterior result;
  result.marginals = at::empty({n, k}, kDouble);
  result.transition_counts = at::zeros({k, k}, kDouble);
  const double* lb = log_b.data_ptr<double>();
  const auto start_c = start.contiguous();
  const auto a_c = transition.contiguous();
  const double* pi = start_c.data_ptr<double>();
  const double* a = a_c.data_ptr<double>();
  double* gamma = result.marginals.data_ptr<double>();
  double* xi = result.transition_counts.data_ptr<double>();
  std::vector<double> b, alpha, beta, scale, next(k);
  int64_t offset = 0;
  for (size_t s = 0; s < lengths.size(); ++s) {
    const int64_t t_len = lengths[s];
    b.assign(t_len * k, 0.0);
    alpha.assign(t_len * k, 0.0);
    beta.assign(t_len * k, 0.0);
    scale.assign(t_len, 0.0);
    double log_likelihood = 0.0;
    // Emissions relative to each step's largest, so that exp() neither under- nor overflows.
    for (int64_t t = 0; t < t_len; ++t) {
      const double* row = lb + (offset + t) * k;
      const double top = *std::max_element(row, row + k);
      if (!std::isfinite(top)) {
        throw std::runtime_error("hmm: observation on row " + std::to_string(offset + t + 1) + " has zero density under every state");
      }
      for (int64_t j = 0; j < k; ++j) b[t * k + j] = std::exp(row[j] - top);
      log_likelihood += top;
    }
    // Forward: alpha_hat_t = alpha_t / p(x_1..t), c_t = p(x_t | x_1..t-1) (Bishop 13.59).
    for (int64_t t = 0; t < t_len; ++t) {
      double sum = 0.0;
      for (int64_t j = 0; j < k; ++j) {
        double prior = 0.0;
        if (t == 0) {
          prior = pi[j];
        } else {
          for (int64_t i = 0; i < k; ++i) prior += alpha[(t - 1) * k + i] * a[i * k + j];
        }
        alpha[t * k + j] = prior * b[t * k + j];
        sum += alpha[t * k + j];
      }
      if (!(sum > 0)) {
        throw std::runtime_error("hmm: sequence " + std::to_string(s + 1) + " has probability zero under the model at row " +
                                 std::to_string(offset + t + 1));
      }
      for (int64_t j = 0; j < k; ++j) alpha[t * k + j] /= sum;
      scale[t] = sum;
      log_likelihood += std::log(sum);
    }
    // Backward (Bishop 13.62) and the pairwise marginals summed over time (13.65).
    for (int64_t j = 0; j < k; ++j) beta[(t_len - 1) * k + j] = 1.0;
    for (int64_t t = t_len - 2; t >= 0; --t) {
      for (int64_t j = 0; j < k; ++j) next[j] = b[(t + 1) * k + j] * beta[(t + 1) * k + j] / scale[t + 1];
      for (int64_t i = 0; i < k; ++i) {
        double sum = 0.0;
        for (int64_t j = 0; j < k; ++j) {
          const double term = a[i * k + j] * next[j];
          sum += term;
          xi[i * k + j] += alpha[t * k + i] * term;
        }
        beta[t * k + i] = sum;
      }
    }
    for (int64_t t = 0; t < t_len; ++t) {
      double sum = 0.0;
      for (int64_t j = 0; j < k; ++j) sum += alpha[t * k + j] * beta[t * k + j];
      for (int64_t j = 0; j < k; ++j) gamma[(offset + t) * k + j] = alpha[t * k + j] * beta[t * k + j] / sum;
    }
    result.log_likelihoods.push_back(log_likelihood);
    result.total_log_likelihood += log_likelihood;
    offset += t_len;
  }
  return result;
}

std::pair<at::Tensor, std::vector<double>> HiddenMarkovModel::viterbi(const at::Tensor& x, const std::vector<int64_t>& lengths) const {
  const auto log_b = emission_log_likelihood(x);
  const int64_t n = log_b.size(0), k = n_states();
  check_lengths(lengths, n);
  const auto log_pi = start.log().contiguous();
  const auto log_a = transition.log().contiguous();
  const double* lb = log_b.data_ptr<double>();
  const double* lp = log_pi.data_ptr<double>();
  const double* la = log_a.data_ptr<double>();
  auto path = at::empty({n}, at::TensorOptions().dtype(at::kLong));
  int64_t* states = path.data_ptr<int64_t>();
  std::vector<double> scores;
  std::vector<double> delta(k), previous(k);
  std::vector<int32_t> back;
  int64_t offset = 0;
  for (const int64_t t_len : lengths) {
    back.assign(t_len * k, 0);
    for (int64_t j = 0; j < k; ++j) delta[j] = lp[j] + lb[offset * k + j];
    for (int64_t t = 1; t < t_len; ++t) {
      previous = delta;
      for (int64_t j = 0; j < k; ++j) {
        double best = -std::numeric_limits<double>::infinity();
        int32_t arg = 0;
        for (int64_t i = 0; i < k; ++i) {
          const double score = previous[i] + la[i * k + j];
          if (score > best) {
            best = score;
            arg = static_cast<int32_t>(i);
          }
        }
        delta[j] = best + lb[(offset + t) * k + j];
        back[t * k + j] = arg;
      }
    }
    const auto last = std::max_element(delta.begin(), delta.end());
    scores.push_back(*last);
    int64_t state = last - delta.begin();
    for (int64_t t = t_len - 1; t >= 0; --t) {
      states[offset + t] = state;
      if (t > 0) state = back[t * k + state];
    }
    offset += t_len;
  }
  return {path, scores};
}

double HiddenMarkovModel::log_likelihood(const at::Tensor& x, const std::vector<int64_t>& lengths) const {
  return posterior(x, lengths).total_log_likelihood;
}

HiddenMarkovModel HiddenMarkovModel::fit_from(const at::Tensor& x_in, const std::vector<int64_t>& lengths,
                                              const HiddenMarkovModel& start_model, const HiddenMarkovModelOptions& options) {
  if (options.max_iter() < 1) throw std::invalid_argument("--max-iter: must be at least 1");
  const auto x = start_model.emission == EmissionType::gaussian ? checked_matrix(x_in, 1, "hmm") : x_in.to(at::kDouble);
  check_lengths(lengths, x.size(0));
  const int64_t n = x.size(0);
  at::Tensor symbols;
  if (start_model.emission == EmissionType::categorical) symbols = symbols_of(x, start_model.n_symbols());
  // Row index of every sequence's first observation, for the start probabilities.
  std::vector<int64_t> firsts;
  int64_t offset = 0;
  for (const int64_t length : lengths) {
    firsts.push_back(offset);
    offset += length;
  }
  const auto first_rows = at::tensor(firsts, at::TensorOptions().dtype(at::kLong));
  HiddenMarkovModel model = start_model;
  model.log_likelihood_history.clear();
  model.converged = false;
  double previous = -std::numeric_limits<double>::infinity();
  for (int64_t iteration = 1; iteration <= options.max_iter(); ++iteration) {
    const auto post = model.posterior(x, lengths);
    model.log_likelihood_history.push_back(post.total_log_likelihood);
    model.n_iter = iteration;
    // M-step (Bishop 13.18-13.20; Rabiner 40a-c).
    model.start = post.marginals.index_select(0, first_rows).mean(0);
    const auto rows = post.transition_counts.sum(1, /*keepdim=*/true);
    // A state never left (no expected transitions out) keeps its row.
    model.transition = at::where(rows > 0, post.transition_counts / rows.clamp_min(1e-300), model.transition);
    if (model.emission == EmissionType::gaussian) {
      const auto m = GaussianMixture::from_responsibilities(x, post.marginals, model.covariance_type, options.reg_covar());
      model.means = m.means;
      model.covariances = m.covariances;
    } else {
      const int64_t v = model.n_symbols();
      auto counts = at::zeros({v, model.n_states()}, kDouble).index_add_(0, symbols, post.marginals).t();  // [K, V]
      const auto mass = counts.sum(1, /*keepdim=*/true);
      model.emission_probabilities = at::where(mass > 0, counts / mass.clamp_min(1e-300), model.emission_probabilities);
    }
    const double change = (post.total_log_likelihood - previous) / static_cast<double>(n);
    previous = post.total_log_likelihood;
    if (std::abs(change) < options.tol()) {
      model.converged = true;
      break;
    }
  }
  check_finite_result(model.transition, "hmm");
  check_finite_result(model.start, "hmm");
  if (model.emission == EmissionType::gaussian) {
    check_finite_result(model.means, "hmm");
    check_finite_result(model.covariances, "hmm");
  }
  return model;
}

HiddenMarkovModel HiddenMarkovModel::fit(const at::Tensor& x_in, const std::vector<int64_t>& lengths,
                                         const HiddenMarkovModelOptions& options, at::Generator& generator) {
  const int64_t k = options.n_states();
  if (k < 1) throw std::invalid_argument("--states: must be at least 1");
  if (options.n_init() < 1) throw std::invalid_argument("--restarts: must be at least 1");
  const int64_t rows = x_in.defined() && x_in.dim() >= 1 ? x_in.size(0) : 0;
  check_lengths(lengths, rows);
  if (rows < k) {
    throw std::invalid_argument("hmm: " + std::to_string(k) + " states need at least as many observations; the data has " +
                                std::to_string(rows));
  }
  HiddenMarkovModel best;
  double best_score = -std::numeric_limits<double>::infinity();
  if (options.emission() == EmissionType::gaussian) {
    const auto x = checked_matrix(x_in, k, "hmm");
    const int64_t distinct = distinct_rows(x);
    if (distinct < k) {
      throw std::invalid_argument("hmm: the data has " + std::to_string(distinct) + " distinct rows, fewer than the " +
                                  std::to_string(k) + " states");
    }
    for (int64_t run = 0; run < options.n_init(); ++run) {
      // k-means states: the emissions from the clusters, the transitions from the label sequence
      // (with one pseudo-count per entry, so that no transition starts impossible).
      const auto labels = KMeans::fit(x, KMeansOptions(k).n_init(1), generator).predict(x);
      auto resp = at::zeros({rows, k}, kDouble).scatter_(1, labels.unsqueeze(1), 1.0);
      const auto mixture = GaussianMixture::from_responsibilities(x, resp, options.covariance_type(), options.reg_covar());
      auto counts = at::ones({k, k}, kDouble);
      auto first = at::ones({k}, kDouble);
      const auto* label = labels.data_ptr<int64_t>();
      int64_t offset = 0;
      for (const int64_t length : lengths) {
        first[label[offset]] += 1.0;
        for (int64_t t = offset + 1; t < offset + length; ++t) counts[label[t - 1]][label[t]] += 1.0;
        offset += length;
      }
      const auto start = HiddenMarkovModel::gaussian(first / first.sum(), counts / counts.sum(1, true), mixture.means,
                                                     mixture.covariances, options.covariance_type());
      auto model = fit_from(x, lengths, start, options);
      const double score = model.log_likelihood_history.back();
      if (run == 0 || score > best_score) {
        best = std::move(model);
        best_score = score;
      }
    }
  } else {
    const auto symbols = symbols_of(x_in, options.n_symbols());
    const int64_t v = options.n_symbols() > 0 ? options.n_symbols() : symbols.max().item<int64_t>() + 1;
    const auto frequencies = (at::bincount(symbols, {}, v).to(at::kDouble) + 1.0) / static_cast<double>(rows + v);
    for (int64_t run = 0; run < options.n_init(); ++run) {
      // Random starts around the symbol frequencies and a uniform chain: the symmetry must be broken.
      auto emission = frequencies.unsqueeze(0) * (0.5 + at::rand({k, v}, generator, kDouble));
      auto transition = 1.0 + at::rand({k, k}, generator, kDouble);
      const auto start = HiddenMarkovModel::categorical(at::full({k}, 1.0 / static_cast<double>(k), kDouble),
                                                        transition / transition.sum(1, true), emission / emission.sum(1, true));
      auto model = fit_from(x_in, lengths, start, options);
      const double score = model.log_likelihood_history.back();
      if (run == 0 || score > best_score) {
        best = std::move(model);
        best_score = score;
      }
    }
  }
  return best;
}

}  // namespace credence::classical
