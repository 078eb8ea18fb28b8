#pragma once
// What herd-load prints: the progress line, the table at the end and the JSON record
// (fields documented in docs/herd-load.md).

#include <string>

#include <boost/json/object.hpp>

#include "herd/sim/load/load.hpp"

namespace herd::sim::load {

// "[herd-load]   3.0s  issued 12000  done 11990 (4001/s)  errors 0  in flight 10"
[[nodiscard]] std::string format_progress(const Progress& now, const Progress& before);
// The human summary: the setup, one latency row per command kind and for all, the errors.
[[nodiscard]] std::string format_table(const LoadOptions& options, const LoadResult& result);
// The machine record; latencies in milliseconds.
[[nodiscard]] boost::json::object to_json(const LoadOptions& options, const LoadResult& result);
// JSON text with numbers as plain decimals ("2.458", not "2.458E0"), on one line.
[[nodiscard]] std::string json_text(const boost::json::value& value);

}  // namespace herd::sim::load
