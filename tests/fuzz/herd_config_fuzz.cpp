// Herd configurations (herd-server's TOML): any text is a HerdConfig or a ConfigError that
// says where; nothing else escapes, nothing hangs.

#include <exception>
#include <optional>
#include <string>

#include "fuzz_common.hpp"
#include "herd/live/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = herd::fuzz::as_text(data, size);
  const herd::live::EnvLookup no_env = [](const char*) -> std::optional<std::string> {
    return std::nullopt;
  };
  try {
    (void)herd::live::parse_herd_config(text, "fuzz.toml", no_env);
  } catch (const herd::live::ConfigError& error) {
    if (std::string_view(error.what()).empty()) herd::fuzz::fail("herd_config", "empty error");
  } catch (const std::exception& error) {
    herd::fuzz::fail("herd_config", error.what());
  }
  return 0;
}
