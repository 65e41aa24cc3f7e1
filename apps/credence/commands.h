// The sub-commands of `credence`: each file adds one to the application.
#pragma once

#include <CLI/CLI.hpp>

namespace credence::cli {

void add_train_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_evaluate_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_fit_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_prune_command(CLI::App& app);
void add_laplace_command(CLI::App& app);
void add_forecast_command(CLI::App& app);
void add_sample_command(CLI::App& app);

}  // namespace credence::cli
