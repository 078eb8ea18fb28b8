#pragma once
// herd-sim's command line run in-process as a user would (run_cli with argv), with what it
// writes to std::cout captured; shared by the CLI test files.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "herd/sim/cli.hpp"

namespace herd::testing {

struct CliRun {
  int code = -1;
  std::string out;
};

inline CliRun herd_sim(std::vector<std::string> args) {
  args.insert(args.begin(), "herd-sim");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream captured;
  std::streambuf* old = std::cout.rdbuf(captured.rdbuf());
  CliRun run;
  try {
    run.code = herd::sim::run_cli(static_cast<int>(argv.size()), argv.data());
  } catch (...) {
    std::cout.rdbuf(old);
    throw;
  }
  std::cout.rdbuf(old);
  run.out = captured.str();
  return run;
}

inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace herd::testing
