// The `countersign` command line: serve, migrate, keys, audit, admin, demo.
#pragma once

namespace cs::app {

// Parses argv, runs the subcommand and returns the process exit code.
int run_cli(int argc, char** argv);

}  // namespace cs::app
