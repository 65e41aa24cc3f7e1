// credence: the command-line entry point. Every failure becomes one line on stderr and a non-zero
// exit code: 2 for a command line that does not parse, 1 for everything else.
#include "commands.h"
#include "cli_support.h"

#include "credence/core/allocator_tuning.h"

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  credence::core::keep_freed_memory_for_reuse();
  credence::cli::remember_command_line(argc, argv);
  CLI::App app{credence::cli::version_text() + ": Bayesian deep learning that reports what it does not know"};
  app.name("credence");
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every sub-command");
  app.set_version_flag("--version", credence::cli::version_text(), "Print the version and exit");
  credence::cli::add_train_command(app);
  credence::cli::add_predict_command(app);
  credence::cli::add_evaluate_command(app);
  credence::cli::add_inspect_command(app);
  credence::cli::add_demo_command(app);
  credence::cli::add_fit_command(app);
  credence::cli::add_bench_command(app);
  credence::cli::add_prune_command(app);
  credence::cli::add_laplace_command(app);
  credence::cli::add_forecast_command(app);
  credence::cli::add_sample_command(app);
  credence::cli::apply_shared_option_rules(app);
  const int early_exit = credence::cli::check_sub_command(app, argc, argv);
  if (early_exit >= 0) return early_exit;
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --help-all, --version
    return app.exit(e);
  } catch (const credence::cli::ExitStatus& e) {  // the failure has been said
    return e.status();
  } catch (const CLI::ParseError& e) {
    std::cerr << "credence: error: " << credence::cli::one_line(e.what()) << "\n";
    return 2;
  } catch (const std::exception& e) {  // std::bad_alloc included: one_line says "out of memory"
    std::cerr << "credence: error: " << credence::cli::one_line(e.what()) << "\n";
    return 1;
  } catch (...) {
    std::cerr << "credence: error: an unexpected error of unknown type\n";
    return 1;
  }
  return 0;
}
