#include "herd/sim/trace_export.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "herd/config/units.hpp"
#include "herd/sim/results_db.hpp"

namespace herd::sim {
namespace {

void json_string(std::ostream& out, std::string_view text) {
  out << '"';
  for (char c : text) {
    switch (c) {
      case '"': out << "\\\""; break;
      case '\\': out << "\\\\"; break;
      case '\n': out << "\\n"; break;
      case '\r': out << "\\r"; break;
      case '\t': out << "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out << escaped;
        } else {
          out << c;
        }
    }
  }
  out << '"';
}

std::string xml_escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

// Trace Event timestamps are microseconds; virtual nanoseconds keep all their digits.
std::string micros(std::int64_t ns) {
  char text[40];
  const char* sign = ns < 0 ? "-" : "";
  const std::uint64_t magnitude = ns < 0 ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  std::snprintf(text, sizeof text, "%s%" PRIu64 ".%03" PRIu64, sign, magnitude / 1000, magnitude % 1000);
  return text;
}

std::string seconds_text(std::int64_t ns) {
  char text[40];
  std::snprintf(text, sizeof text, "%.9f", static_cast<double>(ns) / 1e9);
  return text;
}

std::string end_name(const TraceInfo& info, const std::optional<std::uint32_t>& server,
                     const std::optional<std::uint64_t>& conn) {
  if (server) {
    return *server < info.server_names.size() ? info.server_names[*server]
                                              : "server " + std::to_string(*server);
  }
  return conn ? "client (conn " + std::to_string(*conn) + ")" : "client";
}

// CSS-friendly class suffix of a kind: "AE PUSH" -> "AE-PUSH", "reply ?" -> "reply-error".
std::string kind_class(MessageKind kind) {
  if (kind == MessageKind::reply_error) return "reply-error";
  std::string name = to_string(kind);
  std::replace(name.begin(), name.end(), ' ', '-');
  return name;
}

constexpr std::array<const char*, kMessageKinds> kKindColours{
    "#7f7f7f",  // greeting
    "#1f77b4",  // AT
    "#17becf",  // IHAVE
    "#9467bd",  // GRAFT
    "#8c564b",  // PRUNE
    "#bcbd22",  // KNEW
    "#2ca02c",  // AE GROUPS
    "#98df8a",  // AE LEAVES
    "#ff7f0e",  // AE PULL
    "#e377c2",  // AE PUSH
    "#c7c7c7",  // other
    "#393b79",  // IAMAT
    "#637939",  // WHATSAT
    "#843c39",  // client other
    "#5254a3",  // reply AT
    "#d62728",  // reply ?
};

}  // namespace

// --- Perfetto / Chrome trace JSON ----------------------------------------------------------

std::uint64_t write_perfetto_trace(std::ostream& out, const std::filesystem::path& db,
                                   std::int64_t run_id, const TraceQuery& query,
                                   std::uint64_t max_messages) {
  const TraceInfo info = read_trace_info(db, run_id);
  std::uint64_t count = 0;
  (void)for_each_trace_message(db, run_id, query, [&](const TraceMessage&) {
    return ++count <= max_messages;
  });
  if (count > max_messages) {
    throw TraceTooLarge("the export would hold more than " + std::to_string(max_messages) +
                        " messages (--max-messages), too many for the trace viewers to load "
                        "comfortably. Narrow it with --from/--to or --servers, or raise "
                        "--max-messages");
  }
  const auto servers = static_cast<std::uint32_t>(info.server_names.size());
  const std::uint32_t client_tid = servers + 1;  // servers are tids 1..n
  out << "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"run_id\":" << run_id
      << ",\"messages\":" << info.messages << ",\"truncated\":" << (info.truncated ? "true" : "false")
      << "},\n\"traceEvents\":[\n";
  out << "{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":";
  json_string(out, "herd run " + std::to_string(run_id));
  out << "}}";
  auto thread = [&](std::uint32_t tid, std::string_view name) {
    out << ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":" << tid << ",\"name\":\"thread_name\",\"args\":{\"name\":";
    json_string(out, name);
    out << "}},\n{\"ph\":\"M\",\"pid\":1,\"tid\":" << tid
        << ",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":" << tid << "}}";
  };
  for (std::uint32_t s = 0; s < servers; ++s) thread(s + 1, info.server_names[s]);
  thread(client_tid, "clients");

  std::uint64_t id = 0;
  const std::uint64_t written = for_each_trace_message(db, run_id, query, [&](const TraceMessage& m) {
    ++id;
    const std::uint32_t from_tid = m.from_server ? *m.from_server + 1 : client_tid;
    const std::uint32_t to_tid = m.to_server ? *m.to_server + 1 : client_tid;
    const char* kind = to_string(m.kind);
    const char* outcome = to_string(m.outcome);
    auto args = [&] {
      out << ",\"args\":{\"kind\":";
      json_string(out, kind);
      out << ",\"outcome\":\"" << outcome << "\",\"bytes\":" << m.bytes << ",\"update\":";
      if (m.update_id) {
        out << *m.update_id;
      } else {
        out << "null";
      }
      out << ",\"from\":";
      json_string(out, end_name(info, m.from_server, m.conn));
      out << ",\"to\":";
      json_string(out, end_name(info, m.to_server, m.conn));
      out << ",\"send_s\":\"" << seconds_text(m.send_ns) << "\",\"recv_s\":\""
          << seconds_text(m.recv_ns) << "\"}";
    };
    // A 1 ns slice at each end for the flow to bind to.
    out << ",\n{\"ph\":\"X\",\"pid\":1,\"tid\":" << from_tid << ",\"ts\":" << micros(m.send_ns)
        << ",\"dur\":0.001,\"cat\":\"message\",\"name\":";
    json_string(out, std::string("send ") + kind);
    args();
    out << "},\n{\"ph\":\"s\",\"pid\":1,\"tid\":" << from_tid << ",\"ts\":" << micros(m.send_ns)
        << ",\"id\":" << id << ",\"cat\":\"message\",\"name\":";
    json_string(out, kind);
    out << "},\n{\"ph\":\"X\",\"pid\":1,\"tid\":" << to_tid << ",\"ts\":" << micros(m.recv_ns)
        << ",\"dur\":0.001,\"cat\":\"message\",\"name\":";
    json_string(out, std::string(kind) + " " + outcome);
    args();
    out << "},\n{\"ph\":\"f\",\"bp\":\"e\",\"pid\":1,\"tid\":" << to_tid << ",\"ts\":"
        << micros(m.recv_ns) << ",\"id\":" << id << ",\"cat\":\"message\",\"name\":";
    json_string(out, kind);
    out << "}";
    return static_cast<bool>(out);
  });
  out << "\n]}\n";
  return written;
}

// --- message-sequence diagram --------------------------------------------------------------

namespace {

struct SvgLayout {
  static constexpr double kLeft = 110, kTop = 90, kLane = 130, kLegend = 240, kBottom = 40;
  std::vector<int> lane_of_server;  // -1: not a lane of its own
  std::vector<std::string> lanes;   // names, left to right
  int others_lane = -1, clients_lane = -1;
  std::int64_t t0 = 0, t1 = 1;
  double plot_height = 600;

  [[nodiscard]] double x(int lane) const { return kLeft + kLane * (lane + 0.5); }
  [[nodiscard]] double y(std::int64_t ns) const {
    return kTop + plot_height * static_cast<double>(ns - t0) / static_cast<double>(t1 - t0);
  }
  [[nodiscard]] double width() const { return kLeft + kLane * static_cast<double>(lanes.size()) + kLegend; }
  [[nodiscard]] double height() const { return kTop + plot_height + kBottom; }
  [[nodiscard]] int lane(const std::optional<std::uint32_t>& server) const {
    if (!server) return clients_lane;
    const int own = *server < lane_of_server.size() ? lane_of_server[*server] : -1;
    return own >= 0 ? own : others_lane;
  }
};

// 1, 2 or 5 times a power of ten nanoseconds, near `rough`.
std::int64_t nice_step(double rough) {
  double base = std::pow(10.0, std::floor(std::log10(std::max(rough, 1.0))));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (base * m >= rough) return static_cast<std::int64_t>(base * m);
  }
  return static_cast<std::int64_t>(base * 10);
}

std::string time_label(std::int64_t ns, std::int64_t step) {
  char text[48];
  if (step >= 1'000'000) {
    const int decimals = step >= 1'000'000'000 ? 0 : step >= 100'000'000 ? 1 : step >= 10'000'000 ? 2 : 3;
    std::snprintf(text, sizeof text, "%.*f s", decimals, static_cast<double>(ns) / 1e9);
  } else {
    std::snprintf(text, sizeof text, "%.3f ms", static_cast<double>(ns) / 1e6);
  }
  return text;
}


// Past the arrow cap: messages binned by (send-time slice, sender lane, receiver lane). A bin
// holds counts by kind and outcome and the span of its send and receive times; the slices
// widen (by halving their number) until there are at most `max_bins` bins, so the drawing
// stays bounded whatever the window holds (one slice of lanes x lanes bins at worst).
constexpr double kBinnedHeight = 2400;
constexpr std::size_t kMaxSlices = 120;  // 20 px each at kBinnedHeight

struct Bin {
  std::uint64_t count = 0;
  std::int64_t send_lo = 0, send_hi = 0, recv_lo = 0, recv_hi = 0;
  std::array<std::uint64_t, kMessageKinds> kinds{};
  std::array<std::uint64_t, kMessageOutcomes> outcomes{};
  void add(const Bin& other) {
    if (count == 0) *this = Bin{0, other.send_lo, other.send_hi, other.recv_lo, other.recv_hi, {}, {}};
    count += other.count;
    send_lo = std::min(send_lo, other.send_lo), send_hi = std::max(send_hi, other.send_hi);
    recv_lo = std::min(recv_lo, other.recv_lo), recv_hi = std::max(recv_hi, other.recv_hi);
    for (std::size_t k = 0; k < kMessageKinds; ++k) kinds[k] += other.kinds[k];
    for (std::size_t o = 0; o < kMessageOutcomes; ++o) outcomes[o] += other.outcomes[o];
  }
};

struct Bins {
  std::int64_t slice_ns = 1;
  std::map<std::tuple<std::size_t, int, int>, Bin> bins;  // by (slice, from lane, to lane)
};

Bins bin_messages(const std::filesystem::path& db, std::int64_t run_id, const TraceQuery& query,
                  const SvgLayout& layout, std::uint64_t max_bins) {
  Bins out;
  std::size_t slices = kMaxSlices;
  const std::int64_t span = layout.t1 - layout.t0;
  out.slice_ns = std::max<std::int64_t>(1, (span + static_cast<std::int64_t>(slices) - 1) /
                                               static_cast<std::int64_t>(slices));
  (void)for_each_trace_message(db, run_id, query, [&](const TraceMessage& m) {
    const auto slice = static_cast<std::size_t>(std::max<std::int64_t>(0, m.send_ns - layout.t0) / out.slice_ns);
    Bin one;
    one.count = 1;
    one.send_lo = one.send_hi = m.send_ns;
    one.recv_lo = one.recv_hi = m.recv_ns;
    one.kinds[static_cast<std::size_t>(m.kind)] = 1;
    one.outcomes[static_cast<std::size_t>(m.outcome)] = 1;
    out.bins[{slice, layout.lane(m.from_server), layout.lane(m.to_server)}].add(one);
    return true;
  });
  while (out.bins.size() > max_bins && slices > 1) {
    slices = (slices + 1) / 2;
    out.slice_ns *= 2;
    std::map<std::tuple<std::size_t, int, int>, Bin> merged;
    for (const auto& [key, bin] : out.bins) {
      merged[{std::get<0>(key) / 2, std::get<1>(key), std::get<2>(key)}].add(bin);
    }
    out.bins = std::move(merged);
  }
  return out;
}

std::string duration_text(std::int64_t ns) {
  char text[48];
  if (ns >= 1'000'000'000) {
    std::snprintf(text, sizeof text, "%.3g s", static_cast<double>(ns) / 1e9);
  } else if (ns >= 1'000'000) {
    std::snprintf(text, sizeof text, "%.3g ms", static_cast<double>(ns) / 1e6);
  } else {
    std::snprintf(text, sizeof text, "%.3g us", static_cast<double>(ns) / 1e3);
  }
  return text;
}

// One band per bin: from the sender's lifeline over the bin's send times to the receiver's
// over its receive times, filled with its most frequent kind's colour, more opaque the more
// messages it holds, its count written in it.
void write_bins(std::ostream& out, const Bins& bins, const SvgLayout& layout, const TraceInfo&) {
  std::uint64_t most = 1;
  for (const auto& [key, bin] : bins.bins) most = std::max(most, bin.count);
  char buf[512];
  for (const auto& [key, bin] : bins.bins) {
    const auto [slice, from, to] = key;
    std::size_t kind = 0;
    for (std::size_t k = 1; k < kMessageKinds; ++k) {
      if (bin.kinds[k] > bin.kinds[kind]) kind = k;
    }
    double x1 = layout.x(from), x2 = layout.x(to);
    if (from == to) x1 -= 6, x2 += 6;  // within a lane (among other servers): a narrow band
    // At least 2 px tall at both ends, so a burst at one instant still shows.
    auto span = [&](std::int64_t lo, std::int64_t hi) {
      double a = layout.y(lo), b = layout.y(hi);
      if (b - a < 2) a -= 1, b += 1;
      return std::make_pair(a, b);
    };
    const auto [s0, s1] = span(bin.send_lo, bin.send_hi);
    const auto [r0, r1] = span(bin.recv_lo, bin.recv_hi);
    const double opacity = 0.15 + 0.6 * std::log1p(static_cast<double>(bin.count)) /
                                      std::log1p(static_cast<double>(most));
    std::snprintf(buf, sizeof buf,
                  "<path class=\"b k-%s\" fill=\"%s\" fill-opacity=\"%.2f\" d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\">",
                  kind_class(static_cast<MessageKind>(kind)).c_str(), kKindColours[kind], opacity, x1, s0,
                  x2, r0, x2, r1, x1, s1);
    out << buf << "<title>" << bin.count << (bin.count == 1 ? " message " : " messages ") << xml_escaped(layout.lanes[static_cast<std::size_t>(from)])
        << " &#8594; " << xml_escaped(layout.lanes[static_cast<std::size_t>(to)]) << ", sent "
        << seconds_text(bin.send_lo) << " s to " << seconds_text(bin.send_hi) << " s, received "
        << seconds_text(bin.recv_lo) << " s to " << seconds_text(bin.recv_hi) << " s; kinds:";
    for (std::size_t k = 0; k < kMessageKinds; ++k) {
      if (bin.kinds[k]) out << " " << xml_escaped(to_string(static_cast<MessageKind>(k))) << " " << bin.kinds[k];
    }
    out << "; outcomes:";
    for (std::size_t o = 0; o < kMessageOutcomes; ++o) {
      if (bin.outcomes[o]) out << " " << to_string(static_cast<MessageOutcome>(o)) << " " << bin.outcomes[o];
    }
    out << "</title></path>\n";
    // The count where the band is widest across, if it has room (20 px slices do).
    if (s1 - s0 >= 9 || r1 - r0 >= 9 || std::abs(x2 - x1) > 40) {
      std::snprintf(buf, sizeof buf, "<text class=\"n\" x=\"%.1f\" y=\"%.1f\">%llu</text>\n",
                    (x1 + x2) / 2, (s0 + s1 + r0 + r1) / 4 + 3, static_cast<unsigned long long>(bin.count));
      out << buf;
    }
  }
}

}  // namespace

std::uint64_t write_sequence_svg(std::ostream& out, const std::filesystem::path& db,
                                 std::int64_t run_id, const TraceQuery& query,
                                 const SequenceSvgOptions& options) {
  const TraceInfo info = read_trace_info(db, run_id);
  const std::size_t servers = info.server_names.size();
  if (query.servers.empty() && servers > options.max_lanes) {
    throw TraceTooLarge("run " + std::to_string(run_id) + " has " + std::to_string(servers) +
                        " servers, more lifelines than a diagram can show (at most " +
                        std::to_string(options.max_lanes) +
                        "); choose some with --servers a,b,c");
  }
  SvgLayout layout;
  layout.lane_of_server.assign(servers, -1);
  if (query.servers.empty()) {
    for (std::uint32_t s = 0; s < servers; ++s) {
      layout.lane_of_server[s] = static_cast<int>(s);
      layout.lanes.push_back(info.server_names[s]);
    }
  } else {
    std::vector<std::uint32_t> chosen = query.servers;
    std::sort(chosen.begin(), chosen.end());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
    for (std::uint32_t s : chosen) {
      if (s >= servers) throw ResultsError("run " + std::to_string(run_id) + " has no server " + std::to_string(s));
      layout.lane_of_server[s] = static_cast<int>(layout.lanes.size());
      layout.lanes.push_back(info.server_names[s]);
    }
  }

  // First pass: how many, over what time, and which lanes and kinds appear.
  std::uint64_t count = 0;
  std::int64_t first = 0, last = 0;
  bool others = false, clients = false;
  std::array<bool, kMessageKinds> kinds{};
  (void)for_each_trace_message(db, run_id, query, [&](const TraceMessage& m) {
    if (count == 0) first = last = m.send_ns;
    ++count;
    first = std::min(first, m.send_ns);
    last = std::max({last, m.send_ns, m.recv_ns});
    for (const auto& end : {m.from_server, m.to_server}) {
      if (!end) {
        clients = true;
      } else if (*end >= layout.lane_of_server.size() || layout.lane_of_server[*end] < 0) {
        others = true;
      }
    }
    kinds[static_cast<std::size_t>(m.kind)] = true;
    return true;
  });
  // Past the cap, one arrow a message would be unreadable: messages are binned instead.
  const bool binned = count > options.max_arrows;
  if (others) {
    layout.others_lane = static_cast<int>(layout.lanes.size());
    layout.lanes.emplace_back("(other servers)");
  }
  if (clients) {
    layout.clients_lane = static_cast<int>(layout.lanes.size());
    layout.lanes.emplace_back("(clients)");
  }
  layout.t0 = query.from_ns.value_or(first);
  layout.t1 = std::max(last, query.to_ns.value_or(last));
  if (layout.t1 <= layout.t0) layout.t1 = layout.t0 + 1;
  layout.plot_height = binned ? kBinnedHeight : std::clamp(static_cast<double>(count) * 8.0, 600.0, 40'000.0);

  char buf[512];
  std::snprintf(buf, sizeof buf,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
                layout.width(), layout.height(), layout.width(), layout.height());
  out << buf;
  // Kinds colour an arrow; outcome rules come after them, so a rejected arrow is red.
  out << "<style>\n.m{fill:none;stroke-width:1.2}\n";
  for (std::size_t k = 0; k < kMessageKinds; ++k) {
    out << ".k-" << kind_class(static_cast<MessageKind>(k)) << "{stroke:" << kKindColours[k] << "}\n";
  }
  out << ".b{stroke:none}\n.n{font-size:10px;text-anchor:middle;fill:#222}\n";
  out << ".o-ignored{stroke-dasharray:5 3;opacity:.55}\n"
         ".o-rejected{stroke:#d62728;stroke-width:2.2}\n"
         ".o-dropped,.o-lost{stroke-dasharray:2 2}\n"
         ".o-in_flight{stroke-dasharray:8 2 1 2}\n"
         ".life{stroke:#999;stroke-width:1}\n.tick{stroke:#ddd;stroke-width:1}\n"
         "</style>\n";
  std::snprintf(buf, sizeof buf, "<text x=\"10\" y=\"20\" font-size=\"14\">run %lld: %llu messages sent %s s to %s s%s</text>\n",
                static_cast<long long>(run_id), static_cast<unsigned long long>(count),
                seconds_text(layout.t0).c_str(), seconds_text(layout.t1).c_str(),
                info.truncated ? " (the run's trace was truncated: later messages were not recorded)" : "");
  out << buf;
  Bins bins;
  if (binned) {
    bins = bin_messages(db, run_id, query, layout, options.max_arrows);
    std::snprintf(buf, sizeof buf,
                  "<text x=\"10\" y=\"40\" font-size=\"12\">more than %llu messages (--max-arrows): "
                  "each band is the messages from one lane to another sent in one %s slice, "
                  "numbered with their count; hover a band for its kinds and outcomes</text>\n",
                  static_cast<unsigned long long>(options.max_arrows), duration_text(bins.slice_ns).c_str());
    out << buf;
  }

  // Time axis: gridlines and labels, time running down.
  const std::int64_t span = layout.t1 - layout.t0;
  const std::int64_t step = nice_step(static_cast<double>(span) / std::max(2.0, layout.plot_height / 80.0));
  out << "<g class=\"axis\">\n";
  for (std::int64_t t = (layout.t0 / step) * step; t <= layout.t1; t += step) {
    if (t < layout.t0) continue;
    const double y = layout.y(t);
    std::snprintf(buf, sizeof buf,
                  "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                  SvgLayout::kLeft - 5, y, layout.width() - SvgLayout::kLegend, y, SvgLayout::kLeft - 8,
                  y + 4, time_label(t, step).c_str());
    out << buf;
  }
  out << "</g>\n<g class=\"lanes\">\n";
  for (std::size_t l = 0; l < layout.lanes.size(); ++l) {
    const double x = layout.x(static_cast<int>(l));
    std::snprintf(buf, sizeof buf,
                  "<line class=\"life\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-weight=\"bold\">",
                  x, SvgLayout::kTop - 10, x, SvgLayout::kTop + layout.plot_height, x,
                  SvgLayout::kTop - 18);
    out << buf << xml_escaped(layout.lanes[l]) << "</text>\n";
  }
  out << "</g>\n<g class=\"messages\">\n";

  // Second pass: one path per message, its head (or cross) included (or the bins).
  std::uint64_t drawn = 0;
  if (binned) {
    write_bins(out, bins, layout, info);
    drawn = count;
  }
  (void)for_each_trace_message(db, run_id, query, [&](const TraceMessage& m) {
    if (binned || drawn >= count) return false;  // the database grew between the passes: draw what was counted
    ++drawn;
    const double x1 = layout.x(layout.lane(m.from_server)), y1 = layout.y(m.send_ns);
    const double x2 = layout.x(layout.lane(m.to_server)), y2 = layout.y(m.recv_ns);
    std::string d;
    std::snprintf(buf, sizeof buf, "M%.1f %.1fL%.1f %.1f", x1, y1, x2, y2);
    d = buf;
    if (m.outcome == MessageOutcome::dropped || m.outcome == MessageOutcome::lost) {
      std::snprintf(buf, sizeof buf, "M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f", x2 - 5, y2 - 5,
                    x2 + 5, y2 + 5, x2 - 5, y2 + 5, x2 + 5, y2 - 5);
      d += buf;
    } else {
      const double dx = x2 - x1, dy = y2 - y1;
      const double length = std::max(1e-9, std::hypot(dx, dy));
      const double ux = dx / length, uy = dy / length;
      std::snprintf(buf, sizeof buf, "M%.1f %.1fL%.1f %.1fL%.1f %.1f",
                    x2 - 8 * ux - 4 * uy, y2 - 8 * uy + 4 * ux, x2, y2, x2 - 8 * ux + 4 * uy,
                    y2 - 8 * uy - 4 * ux);
      d += buf;
    }
    out << "<path class=\"m k-" << kind_class(m.kind) << " o-" << to_string(m.outcome)
        << "\" d=\"" << d << "\"><title>" << xml_escaped(to_string(m.kind)) << " "
        << xml_escaped(end_name(info, m.from_server, m.conn)) << " &#8594; "
        << xml_escaped(end_name(info, m.to_server, m.conn)) << ": " << to_string(m.outcome);
    if (m.update_id) out << ", update " << *m.update_id;
    out << ", " << m.bytes << " B, sent " << seconds_text(m.send_ns) << " s, received "
        << seconds_text(m.recv_ns) << " s</title></path>\n";
    return static_cast<bool>(out);
  });
  out << "</g>\n";

  // Legend: the kinds present, then the outcome styles.
  const double lx = layout.width() - SvgLayout::kLegend + 20;
  double ly = SvgLayout::kTop;
  out << "<g class=\"legend\">\n";
  std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">kind</text>\n", lx, ly - 10);
  out << buf;
  for (std::size_t k = 0; k < kMessageKinds; ++k) {
    if (!kinds[k]) continue;
    std::snprintf(buf, sizeof buf,
                  "<path class=\"m k-%s\" d=\"M%.1f %.1fh30\"/><text x=\"%.1f\" y=\"%.1f\">",
                  kind_class(static_cast<MessageKind>(k)).c_str(), lx, ly, lx + 38, ly + 4);
    out << buf << xml_escaped(to_string(static_cast<MessageKind>(k))) << "</text>\n";
    ly += 18;
  }
  ly += 14;
  std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">outcome</text>\n", lx, ly - 10);
  out << buf;
  const std::array<std::pair<MessageOutcome, const char*>, 6> styles{{
      {MessageOutcome::applied, "applied, delivered, answered"},
      {MessageOutcome::ignored, "ignored (redundant)"},
      {MessageOutcome::rejected, "rejected"},
      {MessageOutcome::dropped, "dropped (link down)"},
      {MessageOutcome::lost, "lost on the way"},
      {MessageOutcome::in_flight, "in flight at the end"},
  }};
  for (const auto& [outcome, text] : styles) {
    const bool cross = outcome == MessageOutcome::dropped || outcome == MessageOutcome::lost;
    std::snprintf(buf, sizeof buf, "<path class=\"k-AT o-%s\" fill=\"none\" d=\"M%.1f %.1fh30%s\"/>",
                  to_string(outcome), lx, ly, cross ? "m-5 -5l10 10m0 -10l-10 10" : "");
    out << buf;
    std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">", lx + 44, ly + 4);
    out << buf << xml_escaped(text) << "</text>\n";
    ly += 18;
  }
  out << "</g>\n</svg>\n";
  return drawn;
}

// --- the command ---------------------------------------------------------------------------

struct TraceCommand::Args {
  CLI::App* sub = nullptr;
  std::string db;
  std::int64_t run = 0;
  std::string format;
  std::string output;
  std::string from, to;
  std::string servers;
  std::uint64_t max_arrows = SequenceSvgOptions{}.max_arrows;
  std::uint64_t max_messages = 2'000'000;
};

TraceCommand::TraceCommand(CLI::App& app) : args_(std::make_unique<Args>()) {
  Args& a = *args_;
  a.sub = app.add_subcommand(
      "trace",
      "Export a run's message trace (recorded with run --trace) as Chrome/Perfetto trace JSON "
      "or as a message-sequence diagram in SVG");
  a.sub->add_option("db", a.db, "Results database")->required();
  a.sub->add_option("--run", a.run, "The run (herd-sim report lists them)")->required();
  a.sub->add_option("--format", a.format,
                    "perfetto (Trace Event JSON for ui.perfetto.dev or chrome://tracing) or svg "
                    "(default: from the output's extension, .json or .svg)")
      ->check(CLI::IsMember({"perfetto", "svg"}));
  a.sub->add_option("-o,--output", a.output, "File to write")->required();
  a.sub->add_option("--from", a.from, "Only messages sent at or after this virtual time (e.g. 2s, 1500ms)");
  a.sub->add_option("--to", a.to, "Only messages sent before this virtual time");
  a.sub->add_option("--servers", a.servers,
                    "Only messages from or to these servers (names, comma-separated); the SVG "
                    "draws one lifeline for each");
  a.sub->add_option("--max-arrows", a.max_arrows,
                    "SVG: past this many messages in the window, draw bands of messages per "
                    "pair of lanes and time slice (with their counts) instead of arrows")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10'000'000}));
  a.sub->add_option("--max-messages", a.max_messages,
                    "perfetto: refuse an export of more messages than this")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{4'000'000'000}));
  a.sub->footer(
      "Exit codes: 0 written; 2 a bad option, a database without that run or trace, or an "
      "export over --max-messages. See docs/traces.md.");
}

TraceCommand::~TraceCommand() = default;

bool TraceCommand::selected() const { return args_->sub->parsed(); }

int TraceCommand::run() const {
  const Args& a = *args_;
  std::string format = a.format;
  if (format.empty()) {
    const std::string ext = std::filesystem::path(a.output).extension().string();
    if (ext == ".json") {
      format = "perfetto";
    } else if (ext == ".svg") {
      format = "svg";
    } else {
      std::cerr << "herd-sim trace: say --format perfetto or svg (" << a.output
                << " ends in neither .json nor .svg)\n";
      return 2;
    }
  }
  TraceQuery query;
  try {
    if (!a.from.empty()) query.from_ns = config::parse_duration(a.from);
    if (!a.to.empty()) query.to_ns = config::parse_duration(a.to);
  } catch (const std::invalid_argument& e) {
    std::cerr << "herd-sim trace: --from/--to: " << e.what() << "\n";
    return 2;
  }
  if (query.from_ns && query.to_ns && *query.to_ns <= *query.from_ns) {
    std::cerr << "herd-sim trace: --to must be later than --from\n";
    return 2;
  }
  const TraceInfo info = read_trace_info(a.db, a.run);
  if (!a.servers.empty()) {
    std::size_t start = 0;
    while (start <= a.servers.size()) {
      std::size_t comma = a.servers.find(',', start);
      if (comma == std::string::npos) comma = a.servers.size();
      const std::string name = a.servers.substr(start, comma - start);
      if (!name.empty()) {
        auto it = std::find(info.server_names.begin(), info.server_names.end(), name);
        if (it == info.server_names.end()) {
          std::cerr << "herd-sim trace: --servers: run " << a.run << " has no server '" << name
                    << "' (herd-sim topo lists a scenario's servers)\n";
          return 2;
        }
        query.servers.push_back(static_cast<std::uint32_t>(it - info.server_names.begin()));
      }
      start = comma + 1;
    }
  }
  std::ofstream out(a.output, std::ios::binary);
  if (!out) {
    std::cerr << "herd-sim trace: " << a.output << ": cannot write\n";
    return 2;
  }
  std::uint64_t written = 0;
  try {
    if (format == "perfetto") {
      written = write_perfetto_trace(out, a.db, a.run, query, a.max_messages);
    } else {
      SequenceSvgOptions options;
      options.max_arrows = a.max_arrows;
      written = write_sequence_svg(out, a.db, a.run, query, options);
    }
    out.close();
    if (!out) throw std::runtime_error(a.output + ": cannot write");
  } catch (const TraceTooLarge& e) {
    out.close();
    std::filesystem::remove(a.output);
    std::cerr << "herd-sim trace: " << e.what() << "\n";
    return 2;
  } catch (...) {
    out.close();
    std::filesystem::remove(a.output);
    throw;
  }
  std::cout << "wrote " << a.output << ": " << written << " messages of run " << a.run << " ("
            << format << ")\n";
  if (info.truncated) {
    std::cerr << "herd-sim trace: note: run " << a.run << "'s trace stopped at its limit of "
              << info.limit << " messages (t=" << seconds_text(info.truncated_at_ns.value_or(0))
              << " s); " << info.unrecorded << " later messages were not recorded\n";
  }
  return 0;
}

}  // namespace herd::sim
