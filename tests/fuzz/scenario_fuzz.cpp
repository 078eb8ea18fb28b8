// Scenario files: any text is a Scenario or a ScenarioError with file:line:column; nothing
// else escapes. Files a fuzzed scenario names are resolved against a folder that does not
// exist, so the fuzzer cannot wander the file system.

#include <exception>
#include <string>

#include "fuzz_common.hpp"
#include "herd/sim/scenario_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = herd::fuzz::as_text(data, size);
  try {
    (void)herd::sim::parse_scenario(text, "/nonexistent-herd-fuzz/fuzz.toml", {});
  } catch (const herd::sim::ScenarioError& error) {
    if (error.message.empty()) herd::fuzz::fail("scenario", "empty error");
  } catch (const std::exception& error) {
    herd::fuzz::fail("scenario", error.what());
  }
  return 0;
}
