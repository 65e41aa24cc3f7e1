// `credence prune`: remove the weights of a bbb classifier or regression network with the lowest
// signal-to-noise ratio |mu| / sigma, and write the pruned model.
#include "classification_data.h"
#include "cli_support.h"
#include "commands.h"

#include "credence/core/rng.h"
#include "credence/inference/trainer.h"
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
  // Retraining of the kept weights after pruning (classifiers).
  int64_t retrain_epochs = 0;
  std::string data;
  double learning_rate = 1e-3;
  int64_t batch_size = 128;
  std::uint64_t seed = 0;
  int threads = 0;
};

// Trains the kept weights of every member on the training rows of `a.data` for
// a.retrain_epochs, the removed ones held at zero.
void retrain(io::ClassificationModel& model, const PruneArguments& a) {
  // A CSV gives the model's feature columns, in the model's order.
  std::string features;
  for (const auto& f : model.input.features) features += (features.empty() ? "" : ",") + f;
  auto data = read_training_data(a.data, model.target_name, features);
  require(data.class_names == model.class_names, "--data",
          a.data + ": its classes differ from the model's (retraining needs the model's training data)");
  require(data.inputs.size(1) == model.input_scaler.mean.numel(), "--data",
          a.data + ": " + std::to_string(data.inputs.size(1)) + " inputs per row; the model takes " +
              std::to_string(model.input_scaler.mean.numel()));
  const auto z = model.input_scaler.transform(data.inputs);
  auto generator = core::make_generator(a.seed);
  const auto options = inference::TrainOptions()
                           .epochs(a.retrain_epochs)
                           .batch_size(a.batch_size)
                           .learning_rate(a.learning_rate)
                           .learning_rate_schedule(inference::LearningRateSchedule::cosine);
  for (auto& member : model.members) inference::train_classifier(member, z, data.labels, options, generator);
}

void report(const nn::PruningReport& r, const std::string& out) {
  std::cout << "pruned " << r.removed << " of " << r.total << " weights (signal-to-noise ratio up to " << r.threshold
            << "); " << r.kept << " remain (per Bayesian layer, input first:";
  for (size_t l = 0; l < r.kept_per_layer.size(); ++l) {
    std::cout << (l ? ", " : " ") << "layers[" << r.layers[l] << "] " << r.kept_per_layer[l];
  }
  std::cout << "); model written to " << out << "\n";
  // The ranking is global, so a layer of weak weights can lose all of them (the output layer of
  // a small network, for one): the network's output then no longer depends on its input.
  for (size_t l = 0; l < r.kept_per_layer.size(); ++l) {
    if (r.kept_per_layer[l] == 0) {
      std::cerr << "credence: warning: layers[" << r.layers[l] << "] keeps no weights; the pruned network's output no "
                << "longer depends on its input (remove a smaller fraction)\n";
    }
  }
}

void run_prune(const PruneArguments& a) {
  check_output("--out", a.out, {{"--model", a.model}, {"--data", a.data}});
  require(a.fraction >= 0.0 && a.fraction < 1.0, "--fraction", "expected a fraction of weights to remove in [0, 1)");
  require(a.retrain_epochs >= 0, "--retrain-epochs", "expected a number of epochs >= 0");
  require(a.retrain_epochs == 0 || !a.data.empty(), "--retrain-epochs", "needs the training data (--data)");
  require(a.learning_rate > 0.0, "--lr", "expected a positive learning rate");
  require(a.batch_size > 0, "--batch-size", "expected a positive batch size");
  apply_threads(a.threads);
  auto archive = io::read_archive(a.model);
  const auto kind = io::archive_kind(archive);
  auto prune = [&](nn::Network& net) {
    try {
      return nn::prune_by_signal_to_noise(net, a.fraction);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("--model: " + a.model + ": " + e.what());
    }
  };
  if (kind == io::kClassificationNetworkKind) {
    auto model = io::classification_model_from_archive(archive);
    nn::PruningReport total;
    for (auto& member : model.members) total.add(prune(member));
    if (a.retrain_epochs > 0) retrain(model, a);
    io::save_classification_model(a.out, model);
    report(total, a.out);
    if (a.retrain_epochs > 0) {
      std::cout << "kept weights retrained for " << a.retrain_epochs << " epochs on " << a.data << "\n";
    }
  } else if (kind == io::kRegressionNetworkKind) {
    require(a.retrain_epochs == 0, "--retrain-epochs", "retraining after pruning is for classifiers");
    auto model = io::regression_model_from_archive(archive);
    nn::PruningReport r;
    for (auto& member : model.members) r.add(prune(member));
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
  c->add_option("--retrain-epochs", args->retrain_epochs,
                "Classifiers: train the kept weights for this many epochs after pruning (cosine schedule)");
  c->add_option("--data", args->data, "The training data for --retrain-epochs: idx:DIR (its train-* files) or FILE.csv");
  c->add_option("--lr", args->learning_rate, "Adam learning rate for --retrain-epochs");
  c->add_option("--batch-size", args->batch_size, "Minibatch size for --retrain-epochs");
  c->add_option("--seed", args->seed, "Seed for --retrain-epochs");
  add_threads_option(c, args->threads);
  c->callback([args] { run_prune(*args); });
}

}  // namespace credence::cli
