#include "herd/config/text_file.hpp"

#include <fstream>

namespace herd::config {

std::string read_text_file(const std::filesystem::path& path, std::size_t max_bytes,
                           std::string_view what) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw TextFileError(path, "cannot read " + std::string(what) + ": it is a folder");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TextFileError(path, "cannot open " + std::string(what));
  std::string text;
  char chunk[64 * 1024];
  while (in) {
    in.read(chunk, sizeof chunk);
    const auto got = static_cast<std::size_t>(in.gcount());
    if (text.size() + got > max_bytes) {
      throw TextFileError(path, std::string(what) + " is larger than the limit of " +
                                    std::to_string(max_bytes) + " bytes (is it the right file?)");
    }
    text.append(chunk, got);
  }
  if (in.bad()) throw TextFileError(path, "error while reading " + std::string(what));
  return text;
}

}  // namespace herd::config
