#pragma once
// `--set key=value` overrides, applied to the parsed document before it is interpreted so
// that an override is checked exactly like the file it changes. Each inserted node keeps a
// source position inside the text "--set key=value", so an error in (or caused by) an
// override names the override and the column of its key or value.

#include <toml++/toml.h>

#include <string>
#include <vector>

namespace herd::sim::detail {

// Applies overrides in order (a later one wins). Dotted keys walk tables; a numeric segment
// indexes an array ("faults.0.at=5s"). Missing tables are created. Throws ScenarioError for
// a malformed override or one that walks through a value that is not a table or array.
void apply_overrides(toml::table& document, const std::vector<std::string>& overrides);

}  // namespace herd::sim::detail
