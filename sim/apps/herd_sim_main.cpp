#include "herd/sim/cli.hpp"

int main(int argc, char** argv) { return herd::sim::run_cli(argc, argv); }
