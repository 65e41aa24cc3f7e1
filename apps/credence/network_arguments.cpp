// The network options of the command line.
#include "network_arguments.h"

#include "cli_support.h"

#include "credence/nn/network_presets.h"
#include "credence/workflow/posterior_method.h"

namespace credence::cli {

std::vector<int64_t> parse_hidden(const std::string& text) { return parse_layer_sizes("--hidden", text); }

namespace {

std::string posterior_list() {
  std::string list;
  for (const auto& name : workflow::posterior_method_names()) list += (list.empty() ? "" : " | ") + name;
  return list;
}

}  // namespace

void add_network_options(CLI::App* c, NetworkArguments& a, bool ensembles) {
  std::string presets;
  for (const auto& p : nn::preset_names()) presets += (presets.empty() ? "" : " | ") + p;
  c->add_option("--network", a.network, "A preset (" + presets + ") or a JSON network spec file (docs/networks.md)")
      ->capture_default_str();
  c->add_option("--hidden", a.hidden, "Hidden layer sizes of --network mlp, comma-separated")->capture_default_str();
  c->add_option("--activation", a.activation, "relu | tanh | gelu (the presets' activation)")->capture_default_str();
  c->add_option("--method", a.method,
                std::string("bbb | mcdropout | deterministic") +
                    (ensembles ? " | ensemble (of deterministic networks) | " + posterior_list() : std::string()))
      ->capture_default_str();
  if (ensembles) {
    c->add_option("--members", a.members, "Networks trained from seeds seed, seed + 1, ... (--method ensemble: default 5)")
        ->capture_default_str();
  }
  c->add_option("--prior", a.prior, "Weight prior (bbb): gaussian | mixture")->capture_default_str();
  c->add_option("--prior-sigma", a.prior_sigma, "Gaussian prior standard deviation")->capture_default_str();
  c->add_option("--prior-pi", a.prior_pi, "Mixture prior weight of the wide component")->capture_default_str();
  c->add_option("--prior-sigma1", a.prior_sigma1, "Mixture prior: wide standard deviation")->capture_default_str();
  c->add_option("--prior-sigma2", a.prior_sigma2, "Mixture prior: narrow standard deviation")->capture_default_str();
  c->add_option("--estimator", a.estimator, "Gradient estimator (bbb): local | reparam | flipout")->capture_default_str();
  c->add_option("--initial-sigma", a.initial_sigma, "Posterior standard deviation at initialisation (bbb)")
      ->capture_default_str();
  c->add_option("--dropout", a.dropout, "Dropout probability before every weight layer after the first (mcdropout)")
      ->capture_default_str();
  c->add_option("--input-dropout", a.input_dropout, "Dropout on the inputs, before the first weight layer (mcdropout)")
      ->capture_default_str();
  c->add_option("--dropout-kind", a.dropout_kind, "Dropout on convolution feature maps: element | channel (mcdropout)")
      ->capture_default_str();
  c->add_option("--init-from", a.init_from,
                "Start a bbb network from this trained deterministic model of the same spec (MOPED)");
  c->add_option("--moped-delta", a.moped_delta, "With --init-from: initial sigma = delta |w|")->capture_default_str();
}

nn::NetworkOptions network_options(const NetworkArguments& a) {
  require(a.initial_sigma > 0.0, "--initial-sigma", "expected a positive standard deviation");
  require(a.dropout >= 0.0 && a.dropout < 1.0, "--dropout", "expected a probability in [0, 1)");
  require(a.input_dropout >= 0.0 && a.input_dropout < 1.0, "--input-dropout", "expected a probability in [0, 1)");
  require(a.moped_delta > 0.0, "--moped-delta", "expected a positive value");
  auto prior = core::PriorOptions()
                   .kind(parse_choice("--prior", a.prior, core::prior_kind_from_string))
                   .sigma(a.prior_sigma)
                   .pi(a.prior_pi)
                   .sigma1(a.prior_sigma1)
                   .sigma2(a.prior_sigma2);
  try {
    core::validate(prior);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("--prior: " + std::string(e.what()));
  }
  const std::string method = a.method == "ensemble" || workflow::is_posterior_method(a.method) ? "deterministic" : a.method;
  auto method_options = nn::MethodOptions()
                            .method(parse_choice("--method", method, nn::method_from_string))
                            .prior(prior)
                            .estimator(parse_choice("--estimator", a.estimator, nn::estimator_from_string))
                            .initial_sigma(a.initial_sigma)
                            .dropout(a.dropout)
                            .input_dropout(a.input_dropout)
                            .feature_map_dropout(parse_choice("--dropout-kind", a.dropout_kind, nn::dropout_kind_from_string));
  return nn::NetworkOptions()
      .network(a.network)
      .hidden(parse_hidden(a.hidden))
      .activation(parse_choice("--activation", a.activation, nn::activation_kind_from_string))
      .method(method_options);
}

std::string posterior_method(const NetworkArguments& a) {
  return workflow::is_posterior_method(a.method) ? a.method : std::string();
}

int64_t member_count(const NetworkArguments& a) {
  require(a.members >= 1, "--members", "expected at least one member, got " + std::to_string(a.members));
  if (a.method == "ensemble" && a.members == 1) return 5;
  return a.members;
}

}  // namespace credence::cli
