// `credence demo`: a one-dimensional problem with a gap between two clusters and growing noise,
// where the model must say that it knows the noise inside the data and nothing in the gap or
// outside it. The fit, the table and the plot are workflow/gap_demo.h.
#include "cli_support.h"
#include "commands.h"

#include "credence/data/atomic_file.h"
#include "credence/data/csv_table.h"
#include "credence/workflow/gap_demo.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

namespace credence::cli {

namespace {

struct DemoArguments {
  std::string out_dir = "demo-output", method = "ensemble";
  int64_t points = 2000, epochs = 0, samples = 200;
  std::uint64_t seed = 1;
  int threads = 0;
  bool json = false, quiet = false;
};

void run_demo(const DemoArguments& a) {
  check_output_directory("--out-dir", a.out_dir);
  apply_threads(a.threads);
  require(a.epochs >= 0, "--epochs", "expected a positive number of epochs (0: the method's own)");
  auto demo = workflow::run_gap_demo(workflow::GapDemoOptions()
                                         .method(a.method)
                                         .points(a.points)
                                         .epochs(a.epochs)
                                         .samples(a.samples)
                                         .seed(a.seed)
                                         .progress(a.quiet ? nullptr : &std::cerr)
                                         .progress_as_lines(!stderr_is_terminal()));
  std::filesystem::create_directories(a.out_dir);
  const std::string model_path = a.out_dir + "/demo.model", plot_path = a.out_dir + "/demo.svg";
  io::save_regression_model(model_path, demo.model);
  data::write_csv(a.out_dir + "/demo_data.csv", {"x", "y"}, at::cat({demo.data.x, demo.data.y.unsqueeze(1)}, 1));
  data::write_file_atomically(plot_path, demo.plot_svg);
  auto report = demo.summary;
  report["plot"] = plot_path;
  report["model"] = model_path;
  if (a.json) {
    std::cout << report.dump() << "\n";
    return;
  }
  std::printf("%s, seed %llu: standard deviations in units of y\n", a.method.c_str(),
              static_cast<unsigned long long>(a.seed));
  std::printf("%-9s %14s %14s %15s\n", "region", "aleatoric_std", "epistemic_std", "true_noise_std");
  for (const char* name : {"inside", "gap", "outside"}) {
    const auto& r = report[name];
    std::printf("%-9s %14.4g %14.4g %15.4g\n", name, r["aleatoric_std"].get<double>(), r["epistemic_std"].get<double>(),
                r["true_noise_std"].get<double>());
  }
  std::printf("\ninside: |x| in [1, 4] (the data)   gap: |x| <= 0.5   outside: |x| >= 5.5\n");
  std::printf("epistemic std in the gap / inside the data: %.2f\n", demo.report.ratio());
  std::printf("plot: %s%s\nmodel: %s (try: credence inspect --model %s)\n", plot_path.c_str(),
              demo.plot_clipped ? " (bands cut at the plot's edge)" : "", model_path.c_str(), model_path.c_str());
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto args = std::make_shared<DemoArguments>();
  auto* c = app.add_subcommand("demo", "Train on a 1-D problem with a gap and show where the model is unsure");
  c->add_option("--out-dir", args->out_dir, "Folder for the plot, data and model")->capture_default_str();
  c->add_option("--method", args->method,
                "ensemble (5 heteroscedastic networks) | bbb | mcdropout | deterministic (mean-field VI and MC "
                "dropout show the gap poorly: see the README) | a posterior method")
      ->capture_default_str();
  c->add_option("--points", args->points, "Training points")->capture_default_str();
  c->add_option("--epochs", args->epochs, "Training epochs (0: the method's own, 150)")->capture_default_str();
  c->add_option("--samples", args->samples, "Monte Carlo samples for the prediction")->capture_default_str();
  c->add_option("--seed", args->seed, "Seed")->capture_default_str();
  c->add_flag("--json", args->json, "Print the region table as one JSON object");
  c->add_flag("--quiet", args->quiet, "No progress bar");
  add_threads_option(c, args->threads);
  c->callback([args] { run_demo(*args); });
}

}  // namespace credence::cli
