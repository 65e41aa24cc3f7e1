// credence: the command-line entry point. Every failure becomes one line on stderr and exit code 1.
#include "commands.h"
#include "cli_support.h"

#include "credence/core/allocator_tuning.h"

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  credence::core::keep_freed_memory_for_reuse();
  CLI::App app{"credence: Bayesian deep learning that reports what it does not know"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every sub-command");
  credence::cli::add_train_command(app);
  credence::cli::add_predict_command(app);
  credence::cli::add_evaluate_command(app);
  credence::cli::add_inspect_command(app);
  credence::cli::add_demo_command(app);
  credence::cli::add_fit_command(app);
  credence::cli::add_bench_command(app);
  credence::cli::add_prune_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "credence: error: " << credence::cli::one_line(e.what()) << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "credence: error: " << credence::cli::one_line(e.what()) << "\n";
    return 1;
  }
  return 0;
}
