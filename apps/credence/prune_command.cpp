// `credence prune`: remove the weights of a bbb classifier or regression network with the lowest
// signal-to-noise ratio |mu| / sigma, and write the pruned model.
#include "cli_support.h"
#include "commands.h"

#include "credence/io/archive.h"
#include "credence/io/classification_model.h"
#include "credence/io/regression_model.h"
#include "credence/nn/snr_pruning.h"

#include <algorithm>
#include <iostream>
#include <memory>

namespace credence::cli {

namespace {

struct PruneArguments {
  std::string model, out;
  double fraction = 0.0;
};

void report(const nn::PruningReport& r, const std::string& out) {
  std::cout << "pruned " << r.removed << " of " << r.total << " weights (signal-to-noise ratio up to " << r.threshold
            << "); " << r.kept << " remain (per layer, input first:";
  for (size_t l = 0; l < r.kept_per_layer.size(); ++l) std::cout << (l ? ", " : " ") << r.kept_per_layer[l];
  std::cout << "); model written to " << out << "\n";
}

void run_prune(const PruneArguments& a) {
  require(a.fraction >= 0.0 && a.fraction < 1.0, "--fraction", "expected a fraction of weights to remove in [0, 1)");
  auto archive = io::read_archive(a.model);
  const auto kind = io::archive_kind(archive);
  auto prune = [&](nn::Mlp& net) {
    try {
      return nn::prune_by_signal_to_noise(net, a.fraction);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("--model: " + a.model + ": " + e.what());
    }
  };
  if (kind == io::kClassificationNetworkKind) {
    auto model = io::classification_model_from_archive(archive);
    nn::PruningReport total;
    for (auto& member : model.members) {
      auto r = prune(member);
      total.total += r.total;
      total.removed += r.removed;
      total.kept += r.kept;
      total.threshold = std::max(total.threshold, r.threshold);
      total.kept_per_layer.resize(r.kept_per_layer.size(), 0);
      for (size_t l = 0; l < r.kept_per_layer.size(); ++l) total.kept_per_layer[l] += r.kept_per_layer[l];
    }
    io::save_classification_model(a.out, model);
    report(total, a.out);
  } else if (kind == io::kRegressionNetworkKind) {
    auto model = io::regression_model_from_archive(archive);
    auto r = prune(model.net);
    io::save_regression_model(a.out, model);
    report(r, a.out);
  } else {
    throw std::invalid_argument("--model: " + a.model + " is a '" + kind + "' model; pruning needs a bbb network");
  }
}

}  // namespace

void add_prune_command(CLI::App& app) {
  auto args = std::make_shared<PruneArguments>();
  auto* c = app.add_subcommand("prune", "Remove the bbb weights with the lowest signal-to-noise ratio |mu|/sigma");
  c->add_option("--model", args->model, "A bbb model file")->required();
  c->add_option("--fraction", args->fraction, "Fraction of the weights to remove, e.g. 0.95")->required();
  c->add_option("--out", args->out, "Where to write the pruned model")->required();
  c->callback([args] { run_prune(*args); });
}

}  // namespace credence::cli
