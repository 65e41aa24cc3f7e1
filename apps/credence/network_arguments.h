// The command-line options that choose a network (--network, --hidden, --activation, --method and
// its settings), declared once for every command that builds one.
#pragma once

#include "credence/nn/network_options.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace credence::cli {

struct NetworkArguments {
  std::string network = "mlp", hidden = "50", activation = "relu";
  std::string method = "bbb", prior = "gaussian", estimator = "local", dropout_kind = "element";
  double initial_sigma = 1e-2, dropout = 0.05, input_dropout = 0.0;
  double prior_sigma = 1.0, prior_pi = 0.5, prior_sigma1 = 1.0, prior_sigma2 = 0.0024787521766663585;  // e^-6
  int64_t members = 1;
  std::string init_from;
  double moped_delta = 0.1;
};

// Adds the options to a sub-command (`ensemble` among the methods when `ensembles` is set).
void add_network_options(CLI::App* command, NetworkArguments& arguments, bool ensembles);

// The network options the arguments give. `--method ensemble` is `deterministic` here;
// member_count() gives the ensemble's size.
nn::NetworkOptions network_options(const NetworkArguments& arguments);
// The posterior method (laplace, swag, hmc, ...) that --method names, or "" for the network's own.
std::string posterior_method(const NetworkArguments& arguments);
// --members, or 5 for --method ensemble when --members is not given.
int64_t member_count(const NetworkArguments& arguments);

// "50,50" -> {50, 50}; "none" -> {} (parse_layer_sizes: "", "50,,50" and zero are refused).
std::vector<int64_t> parse_hidden(const std::string& text);

}  // namespace credence::cli
