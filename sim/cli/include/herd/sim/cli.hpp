#pragma once
// herd-sim's command line (run, check, topo, report), as a library so tests can drive it.

namespace herd::sim {

// Returns the process exit code: 0 ok, 1 expectations failed, 2 bad input, 3 determinism
// check failed.
int run_cli(int argc, char** argv);

}  // namespace herd::sim
