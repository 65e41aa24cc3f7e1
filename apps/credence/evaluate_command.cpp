// `credence evaluate`: how good and how honest a model's predictions are on labelled data.
#include "classification_data.h"
#include "cli_support.h"
#include "forecast_data.h"
#include "commands.h"

#include "credence/core/rng.h"
#include "credence/data/idx_file.h"
#include "credence/io/adversarial_model.h"
#include "credence/io/archive.h"
#include "credence/io/autoencoder_model.h"
#include "credence/io/vae_model.h"
#include "credence/io/classical_archive.h"
#include "credence/io/classification_model.h"
#include "credence/metrics/classification_metrics.h"
#include "credence/report/image_grid.h"
#include "credence/report/reliability_diagram.h"
#include "credence/io/regression_model.h"
#include "credence/workflow/adversarial_evaluation.h"
#include "credence/workflow/classical_prediction.h"
#include "credence/workflow/classification_prediction.h"
#include "credence/workflow/finite_predictions.h"
#include "credence/workflow/generative_evaluation.h"
#include "credence/workflow/regression_prediction.h"

#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>

namespace credence::cli {

namespace {

struct EvaluateArguments {
  std::string model, data, ood, reliability_plot, reconstructions, classifier;
  int64_t count = 10000;  // a GAN's generated images
  int64_t samples = 100;
  double level = 0.95;
  std::uint64_t seed = 0;
  int threads = 0;
  int64_t memory_budget_mb = kDefaultMemoryBudgetMb;
  bool json = false;
  int64_t importance_samples = 5000;  // a VAE's log-likelihood estimate
};

constexpr const char* kNotScored = "; not scored";

// One "key value" row per number; a nested object (the OOD scores per uncertainty measure, the
// scores before temperature scaling) gives its rows with the keys joined by dots.
void print_rows(const nlohmann::json& object, const std::string& prefix) {
  for (const auto& [key, value] : object.items()) {
    if (value.is_object()) {
      print_rows(value, prefix + key + ".");
    } else {
      std::cout << std::left << std::setw(32) << prefix + key << " " << (value.is_string() ? value.get<std::string>() : value.dump())
                << "\n";
    }
  }
}

void print_report(const nlohmann::json& report, bool as_json) {
  if (as_json) {
    std::cout << report.dump() << "\n";
    return;
  }
  print_rows(report, "");
}

void print_reliability_table(const nlohmann::json& bins) {
  std::cout << "reliability (confidence bin: count, mean confidence, accuracy)\n";
  for (const auto& bin : bins) {
    if (bin.at("count").get<int64_t>() == 0) continue;
    std::cout << "  [" << std::fixed << std::setprecision(3) << bin.at("lower").get<double>() << ", "
              << bin.at("upper").get<double>() << ")  " << std::setw(7) << bin.at("count").get<int64_t>() << "  "
              << bin.at("confidence").get<double>() << "  " << bin.at("accuracy").get<double>() << "\n";
  }
  std::cout.unsetf(std::ios::fixed);
  std::cout << std::setprecision(6);
}

predict::PredictOptions predict_options(const EvaluateArguments& a) {
  return predict::PredictOptions().samples(a.samples).memory_budget(memory_budget_bytes(a.memory_budget_mb));
}

// Predictions with a NaN or an infinity are refused, naming the row, before any score is computed.
predict::ClassificationUncertainty finite_classes(const io::ClassificationModel& model, const LabelledData& data,
                                                  const EvaluateArguments& a, std::uint64_t seed, double temperature = 0.0) {
  auto u = workflow::predict_classes(model, data.inputs, predict_options(a), seed, temperature);
  const auto table = workflow::classification_table(model, u);
  workflow::check_finite_predictions(table.values, {table.columns.begin() + 1, table.columns.end()}, data.description, false,
                                     kNotScored);
  return u;
}

void evaluate_classifier(const EvaluateArguments& a, const io::Archive& archive) {
  auto model = io::classification_model_from_archive(archive);
  auto data = read_data_for_model(model, a.data, true, "--data");
  LabelledData ood;
  if (!a.ood.empty()) ood = read_data_for_model(model, a.ood, false, "--ood");
  auto u = finite_classes(model, data, a, a.seed);
  auto scores = workflow::classification_scores(u, data.labels);
  nlohmann::json report = {{"method", model.method()}, {"rows", data.inputs.size(0)}};
  for (const auto& key : {"accuracy", "nll", "brier", "ece", "mce"}) report[key] = scores.at(key);
  report["temperature"] = model.head.temperature;
  if (model.head.temperature != 1.0) {
    auto raw = workflow::classification_scores(finite_classes(model, data, a, a.seed, 1.0), data.labels);
    report["before_temperature"] = {{"accuracy", raw.at("accuracy")}, {"nll", raw.at("nll")},
                                    {"brier", raw.at("brier")}, {"ece", raw.at("ece")}};
  }
  if (!a.ood.empty()) {
    auto out = finite_classes(model, ood, a, a.seed + 1);
    auto o = workflow::ood_scores(u, out);
    report["ood_rows"] = ood.inputs.size(0);
    report["auroc"] = o.at("auroc");
    report["aupr"] = o.at("aupr");
  }
  if (!a.reliability_plot.empty()) {
    report::reliability_diagram(metrics::calibration(u.probabilities, data.labels),
                                "Reliability: " + model.method() + " on " + data.description)
        .save(a.reliability_plot);
  }
  workflow::check_finite_scores(report, a.data);
  if (a.json) {
    report["reliability"] = scores.at("reliability");
    std::cout << report.dump() << "\n";
    return;
  }
  print_report(report, false);
  print_reliability_table(scores.at("reliability"));
}

// An auto-encoder or a VAE on the test images of idx:DIR (t10k-*): pixels / 255, binarised once with
// --seed (the --ood set with --seed + 1), the report of workflow/generative_evaluation.h, and with
// --reconstructions the first 32 test images above their reconstructions.
void evaluate_image_model(const EvaluateArguments& a, const io::Archive& archive, const std::string& kind) {
  require(a.importance_samples >= 1, "--importance-samples", "expected at least 1, got " + std::to_string(a.importance_samples));
  const bool vae = kind == io::kVariationalAutoencoderKind;
  auto vae_model = vae ? std::optional<io::VaeModel>(io::vae_model_from_archive(archive)) : std::nullopt;
  auto ae_model = vae ? std::nullopt : std::optional<io::AutoencoderModel>(io::autoencoder_model_from_archive(archive));
  const auto& shape = vae ? vae_model->vae.data_shape : ae_model->autoencoder.data_shape;
  const auto test = workflow::fixed_binarisation(read_images(a.data, "t10k", shape, "--data"), a.seed);
  at::Tensor ood;
  if (!a.ood.empty()) ood = workflow::fixed_binarisation(read_images(a.ood, "t10k", shape, "--ood"), a.seed + 1);
  auto report = vae ? workflow::evaluate_vae(vae_model->vae, test, ood, {a.importance_samples, a.seed})
                    : workflow::evaluate_autoencoder(ae_model->autoencoder, test, ood);
  report["binarisation"] = "fixed, seed " + std::to_string(a.seed) + (a.ood.empty() ? "" : " (--ood: seed " + std::to_string(a.seed + 1) + ")");
  workflow::check_finite_scores(report, a.data);
  if (!a.reconstructions.empty()) {
    at::NoGradGuard no_grad;
    const auto originals = test.slice(0, 0, std::min<int64_t>(32, test.size(0)));
    const auto reconstructed = vae ? vae_model->vae.reconstruct(originals) : ae_model->autoencoder.reconstruct(originals);
    report::write_png_grid(a.reconstructions, workflow::interleave_reconstructions(originals, reconstructed, 8), {8, 2, 1.0});
  }
  print_report(report, a.json);
}

// A GAN scored by a classifier model on the test images of idx:DIR (t10k-*, pixels / 255): the
// classifier-based Inception Score and the Fréchet distance of --count generated images beside the
// real images' own values; for InfoGAN also the accuracy of Q's categorical code on the test labels.
void evaluate_adversarial(const EvaluateArguments& a, const io::Archive& archive) {
  require(is_idx_spec(a.data), "--data", "a GAN is evaluated on images: expected idx:DIR (its t10k-* files)");
  require(!a.classifier.empty(), "--classifier",
          "a GAN is scored with a classifier's view of its images: give a model of train --task classification");
  require(a.count >= 10 && a.count <= 1000000, "--count", "expected 10 to 1000000 images, got " + std::to_string(a.count));
  auto model = io::adversarial_model_from_archive(archive);
  const auto classifier_archive = io::read_archive(a.classifier);
  const auto classifier_kind = io::archive_kind(classifier_archive);
  require(classifier_kind == io::kClassificationNetworkKind, "--classifier",
          a.classifier + " is a '" + classifier_kind + "' model, not a classifier (train --task classification)");
  const auto classifier = io::classification_model_from_archive(classifier_archive);
  const auto& shape = model.gan.data_shape;
  require(classifier.input.kind == "image" && classifier.input.shape() == shape, "--classifier",
          a.classifier + " takes " + (classifier.input.kind == "image" ? nn::to_string(classifier.input.shape()) + " images" : "table rows") +
              " but the generator draws " + nn::to_string(shape));
  const std::string directory = a.data.substr(4);
  const auto set = data::read_idx_images(directory, "t10k");
  require(shape.size() == 3 && shape[0] == 1 && shape[1] == set.rows && shape[2] == set.cols, "--data",
          a.data + " holds " + std::to_string(set.rows) + " x " + std::to_string(set.cols) + " images; the model generates " +
              nn::to_string(shape));
  auto generator = core::make_generator(a.seed);
  const auto scores = workflow::score_adversarial_network(model.gan, classifier,
                                                          set.images.view({set.images.size(0), shape[0], shape[1], shape[2]}),
                                                          set.labels, a.count, generator);
  nlohmann::json report = {{"variant", generative::to_string(model.gan.variant)},
                           {"generated", scores.generated},
                           {"rows", scores.real},
                           {"inception_score", scores.inception_score},
                           {"inception_score_std", scores.inception_score_std},
                           {"inception_score_real", scores.inception_score_real},
                           {"inception_score_real_std", scores.inception_score_real_std},
                           {"frechet_distance", scores.frechet_distance},
                           {"frechet_distance_real", scores.frechet_distance_real}};
  if (scores.code_accuracy) {
    report["code_accuracy"] = *scores.code_accuracy;
    report["code_classes"] = scores.code_classes;
  }
  workflow::check_finite_scores(report, a.data);
  print_report(report, a.json);
}

void run_evaluate(const EvaluateArguments& a) {
  if (!a.reliability_plot.empty()) {
    check_output("--reliability-plot", a.reliability_plot, {{"--model", a.model}, {"--data", a.data}, {"--ood", a.ood}});
  }
  if (!a.reconstructions.empty()) {
    check_output("--reconstructions", a.reconstructions, {{"--model", a.model}, {"--data", a.data}, {"--ood", a.ood}});
  }
  apply_threads(a.threads);
  require(a.samples > 0, "--samples", "expected a positive number of samples, got " + std::to_string(a.samples));
  require(a.level > 0.0 && a.level < 1.0, "--level", "expected a probability in (0, 1), got " + std::to_string(a.level));
  memory_budget_bytes(a.memory_budget_mb);
  auto archive = io::read_archive(a.model);
  const auto kind = io::archive_kind(archive);
  require(a.classifier.empty() || kind == io::kAdversarialNetworkKind, "--classifier",
          "a classifier scores the images of a GAN (train --task gan, dcgan or infogan)");
  if (kind == io::kClassificationNetworkKind) {
    evaluate_classifier(a, archive);
    return;
  }
  if (kind == io::kVariationalAutoencoderKind || kind == io::kAutoencoderKind) {
    evaluate_image_model(a, archive, kind);
    return;
  }
  require(a.reconstructions.empty(), "--reconstructions", "is for auto-encoders and VAEs");
  require(a.ood.empty(), "--ood", "out-of-distribution scores are for classifiers, auto-encoders and VAEs");
  if (io::is_classical_kind(kind)) {
    auto report = nlohmann::json::parse(
        workflow::classical_evaluate(archive, a.data, {a.level, a.samples, a.seed, memory_budget_bytes(a.memory_budget_mb)}));
    workflow::check_finite_scores(report, a.data);
    print_report(report, a.json);
    return;
  }
  if (kind == io::kAdversarialNetworkKind) {
    evaluate_adversarial(a, archive);
    return;
  }
  if (kind == io::kForecastNetworkKind) {
    // The test period of the series in --data, as at the end of training.
    auto model = io::forecast_model_from_archive(archive);
    const auto series = read_model_series(a.data, model.settings);
    const auto scores = workflow::score_test_period(model, series.values, predict_options(a), a.level, a.seed);
    nlohmann::json report = {{"steps", workflow::to_json(scores)}};
    workflow::check_finite_scores(report, a.data);
    if (a.json) {
      std::cout << report.dump() << "\n";
    } else {
      print_forecast_scores(std::cout, scores, a.level);
    }
    return;
  }
  auto table = data::read_csv(a.data);
  auto model = io::regression_model_from_archive(archive);
  table.column_index(model.target_name);
  auto target = table.select({model.target_name}).squeeze(1);
  auto p = workflow::predict_regression(model, workflow::model_inputs(table, model.feature_names), predict_options(a), a.level,
                                       a.seed, target);
  workflow::check_finite_predictions(workflow::regression_prediction_values(p), workflow::regression_prediction_columns(), a.data,
                                     false, kNotScored);
  nlohmann::json report = workflow::regression_scores(p, target);
  workflow::check_finite_scores(report, a.data);
  print_report(report, a.json);
}

}  // namespace

void add_evaluate_command(CLI::App& app) {
  auto args = std::make_shared<EvaluateArguments>();
  auto* c = app.add_subcommand("evaluate",
                               "Score a model on labelled data: RMSE, NLL, interval coverage and width (regression); "
                               "accuracy, NLL, Brier, ECE and OOD detection (classification)");
  c->add_option("--model", args->model, "A model file written by train or fit")->required();
  c->add_option("--data", args->data, "A CSV file with the feature and target columns, or idx:DIR (t10k-* files)")
      ->required();
  c->add_option("--ood", args->ood,
                "Out-of-distribution data for AUROC and AUPR: classifiers (idx:DIR or CSV; by the uncertainty), "
                "auto-encoders and VAEs (idx:DIR; by minus the log-likelihood)");
  c->add_option("--reconstructions", args->reconstructions,
                "Auto-encoders and VAEs: write the first 32 test images above their reconstructions (PNG)");
  c->add_option("--reliability-plot", args->reliability_plot, "Classifiers: write the reliability diagram (SVG)");
  c->add_option("--samples", args->samples, "Monte Carlo samples per row")->capture_default_str();
  c->add_option("--level", args->level, "Probability of the central interval")->capture_default_str();
  c->add_option("--seed", args->seed,
                "Seed of the Monte Carlo draws (a VAE: also of the test images' fixed binarisation; a GAN: of its latent draws)")
      ->capture_default_str();
  c->add_option("--importance-samples", args->importance_samples,
                "A VAE: samples per row of the importance-weighted log-likelihood estimate (Burda et al. 2015)")
      ->capture_default_str();
  c->add_option("--classifier", args->classifier,
                "A GAN: the classifier model (train --task classification) whose probabilities give the Inception Score "
                "and whose penultimate features give the Fréchet distance");
  c->add_option("--count", args->count, "A GAN: images generated for its scores")->capture_default_str();
  c->add_flag("--json", args->json, "Print one JSON object");
  add_memory_budget_option(c, args->memory_budget_mb);
  add_threads_option(c, args->threads);
  c->callback([args] { run_evaluate(*args); });
}

}  // namespace credence::cli
