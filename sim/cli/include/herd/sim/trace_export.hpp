#pragma once
// Exports of a run's message trace (docs/traces.md): Chrome/Perfetto Trace Event JSON and a
// message-sequence diagram in SVG, both streamed from the database row by row, and the
// `herd-sim trace` command that writes them.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <ostream>
#include <stdexcept>

#include "herd/sim/trace.hpp"

namespace CLI {
class App;
}

namespace herd::sim {

// An export refused because it would be too large to use; the message says how to narrow it.
struct TraceTooLarge : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Trace Event Format (the JSON object form): one process, one thread (track) per server
// named after it plus one for clients, and for each message a short slice at both ends
// joined by a flow ("s" at the sender, "f" at the receiver), with kind, update, bytes and
// outcome as arguments. Returns the number of messages written.
// More than `max_messages` in the query: refused with a TraceTooLarge before anything is
// written (about 650 bytes of JSON a message; the Perfetto UI slows past a gigabyte or so).
std::uint64_t write_perfetto_trace(std::ostream& out, const std::filesystem::path& db,
                                   std::int64_t run_id, const TraceQuery& query,
                                   std::uint64_t max_messages = 2'000'000);

struct SequenceSvgOptions {
  // More messages than this in the window: instead of an arrow a message, the diagram draws
  // bins (messages from one lane to another sent in one time slice) as bands with their
  // counts, at most this many bins (the slices widen until they fit). Nothing is left out.
  std::uint64_t max_arrows = 20'000;
  // Without a server set, herds larger than this are refused the same way.
  std::size_t max_lanes = 64;
};

// A message-sequence (Lamport) diagram: a lifeline per server of the query (every server of
// the run without one), plus "other servers" and "clients" lanes when messages reach them;
// time runs down; one arrow (one <path class="m ...">) per message from its send to its
// receive time, coloured by kind, dashed when redundant (ignored), red when rejected, ending
// in a cross when dropped or lost; a time axis and a legend. Past `max_arrows` messages, one
// band (<path class="b ...">) per bin instead (see SequenceSvgOptions). Returns the number of
// messages drawn (as arrows or in bands).
std::uint64_t write_sequence_svg(std::ostream& out, const std::filesystem::path& db,
                                 std::int64_t run_id, const TraceQuery& query,
                                 const SequenceSvgOptions& options = {});

// `herd-sim trace DB --run N --format perfetto|svg -o FILE [--from T] [--to T]
// [--servers a,b,c] [--max-arrows N] [--max-messages N]`: add it to the app, then, after parsing, run it if it
// was chosen.
class TraceCommand {
 public:
  explicit TraceCommand(CLI::App& app);
  ~TraceCommand();
  TraceCommand(const TraceCommand&) = delete;
  TraceCommand& operator=(const TraceCommand&) = delete;
  [[nodiscard]] bool selected() const;
  // Exit code: 0 written, 2 a bad option, database or run, or a diagram too large.
  int run() const;

 private:
  struct Args;
  std::unique_ptr<Args> args_;
};

}  // namespace herd::sim
