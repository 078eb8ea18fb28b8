#include "herd/sim/metrics.hpp"

#include <algorithm>
#include <stdexcept>

namespace herd::sim {

const char* to_string(PeerLineKind kind) noexcept {
  switch (kind) {
    case PeerLineKind::greeting: return "greeting";
    case PeerLineKind::at: return "AT";
    case PeerLineKind::ihave: return "IHAVE";
    case PeerLineKind::graft: return "GRAFT";
    case PeerLineKind::prune: return "PRUNE";
    case PeerLineKind::knew: return "KNEW";
    case PeerLineKind::ae_groups: return "AE GROUPS";
    case PeerLineKind::ae_leaves: return "AE LEAVES";
    case PeerLineKind::ae_pull: return "AE PULL";
    case PeerLineKind::ae_push: return "AE PUSH";
    case PeerLineKind::other: return "other";
  }
  return "other";
}

PeerLineKind classify_peer_line(std::string_view line) noexcept {
  auto word = [&](std::string_view w) {
    return line.starts_with(w) && (line.size() == w.size() || line[w.size()] == ' ' ||
                                   line[w.size()] == '\n');
  };
  if (word("AT")) return PeerLineKind::at;
  if (line.starts_with("AE ")) {
    line.remove_prefix(3);
    if (word("PUSH")) return PeerLineKind::ae_push;
    if (word("GROUPS")) return PeerLineKind::ae_groups;
    if (word("LEAVES")) return PeerLineKind::ae_leaves;
    if (word("PULL")) return PeerLineKind::ae_pull;
    return PeerLineKind::other;
  }
  if (word("IHAVE")) return PeerLineKind::ihave;
  if (word("KNEW")) return PeerLineKind::knew;
  if (word("GRAFT")) return PeerLineKind::graft;
  if (word("PRUNE")) return PeerLineKind::prune;
  if (word("HERD")) return PeerLineKind::greeting;
  return PeerLineKind::other;
}

MetricsRecorder::MetricsRecorder(std::uint32_t servers, bool keep_deliveries)
    : servers_(servers),
      keep_deliveries_(keep_deliveries),
      live_(servers, true),
      live_count_(servers) {}

std::uint32_t MetricsRecorder::client_index(std::string_view name) {
  const std::uint64_t key = core::update_id(name);
  if (auto known = client_by_hash_.find(key)) {
    if (client_names_[*known] != name) {
      throw std::logic_error("recorder: client name hash collision between '" +
                             client_names_[*known] + "' and '" + std::string(name) + "'");
    }
    return *known;
  }
  auto index = static_cast<std::uint32_t>(clients_.size());
  client_by_hash_.insert(key, index);
  client_names_.emplace_back(name);
  held_.resize(held_.size() + servers_, 0);
  // A client with nothing accepted yet: every live server holds "everything" of it.
  clients_.push_back(ClientState{{}, {}, std::nullopt, live_count_});
  return index;
}

std::optional<UpdateIndex> MetricsRecorder::find_update(std::uint64_t id) const {
  return update_by_id_.find(id);
}

std::uint32_t& MetricsRecorder::held(ServerIndex server, std::uint32_t client) {
  return held_[static_cast<std::size_t>(client) * servers_ + server];
}

void MetricsRecorder::on_accepted(Nanoseconds now, ServerIndex server,
                                  const core::SharedText& at_line, std::uint64_t id) {
  if (auto known = find_update(id)) {
    // The same line accepted twice is one update; two lines with one id would corrupt
    // every metric, so a 64-bit collision stops the run loudly.
    if (*updates_[*known].update.at_line != *at_line) {
      throw std::logic_error("recorder: update id collision between '" + std::string(*at_line) +
                             "' and '" + std::string(*updates_[*known].update.at_line) + "'");
    }
    return;
  }
  auto parsed = core::LocationUpdate::from_at_line(at_line);
  if (!parsed) {
    throw std::logic_error("recorder: server accepted an invalid AT line: " +
                           std::string(*at_line));
  }
  std::uint32_t client = client_index(parsed->client);
  auto index = static_cast<UpdateIndex>(updates_.size());
  updates_.push_back(UpdateStats{*parsed, client, server, now, 0, 0, 0, now});
  update_by_id_.insert(id, index);

  ClientState& c = clients_[client];
  // Where it stands in the client's total order: usually last, but an IAMAT with an older
  // timestamp may be accepted after a newer one was accepted elsewhere.
  auto position = static_cast<std::uint32_t>(
      std::upper_bound(c.ordered.begin(), c.ordered.end(), index,
                       [&](UpdateIndex a, UpdateIndex b) {
                         return core::compare_updates(updates_[a].update,
                                                      updates_[b].update) < 0;
                       }) -
      c.ordered.begin());
  if (position == c.ordered.size()) {
    // The newest: everyone who held all of this client's updates now lacks one.
    lagging_ += c.caught_up;
    c.caught_up = 0;
    c.ordered.push_back(index);
    c.since.push_back(now);  // accepted last, so no earlier entry's minimum changes
    c.newest = index;
  } else {
    // Older than one already accepted: servers holding that newer one hold this one from
    // now on (delivered at once), so nobody who was caught up falls behind.
    c.ordered.insert(c.ordered.begin() + position, index);
    c.since.insert(c.since.begin() + position, now);
    for (std::size_t i = position + 1; i-- > 0;) {
      if (i + 1 < c.since.size()) c.since[i] = std::min(c.since[i], c.since[i + 1]);
    }
    std::uint32_t* counts = &held(0, client);
    for (ServerIndex s = 0; s < servers_; ++s) {
      if (counts[s] > position) {
        ++counts[s];
        first_hold(now, s, index, false, 0);
      }
    }
  }
  last_disturbance_ns_ = std::max(last_disturbance_ns_, now);
  converged_at_ns_.reset();
  hold(now, server, index, 0);
}

void MetricsRecorder::on_applied(Nanoseconds now, ServerIndex server, std::uint64_t id,
                                 std::uint32_t hops, ServerIndex from) {
  auto index = find_update(id);
  if (!index) return;  // injected by a script, never accepted by a server
  ++peer_messages_;
  UpdateStats& u = updates_[*index];
  ++u.deliveries;
  u.last_delivery_ns = now;
  hold(now, server, *index, hops, from);
}

void MetricsRecorder::on_ignored(Nanoseconds now, ServerIndex /*server*/, std::uint64_t id) {
  auto index = find_update(id);
  if (!index) return;
  ++peer_messages_;
  ++updates_[*index].deliveries;
  updates_[*index].last_delivery_ns = now;
}

void MetricsRecorder::first_hold(Nanoseconds now, ServerIndex server, UpdateIndex update,
                                 bool direct, std::uint32_t hops, ServerIndex from) {
  if (!held_before_amnesia_.empty() &&
      held_before_amnesia_.count((static_cast<std::uint64_t>(update) << 32) | server) != 0) {
    if (keep_deliveries_) {
      refills_.push_back(
          Delivery{update, server, now, direct ? hops : 0, direct, direct ? from : kNoServer});
    }
    return;
  }
  UpdateStats& d = updates_[update];
  ++d.holders;
  if (direct && hops > 0) {
    ++deliveries_direct_;
    d.ldh = std::max(d.ldh, hops);
  }
  if (server != d.origin) delays_ns_.push_back(now - d.accepted_ns);
  if (keep_deliveries_) {
    deliveries_.push_back(
        Delivery{update, server, now, direct ? hops : 0, direct, direct ? from : kNoServer});
  }
}

// Server s now holds `update`: every accepted update of the same client that is not newer
// and that s did not hold yet is delivered now.
void MetricsRecorder::hold(Nanoseconds now, ServerIndex server, UpdateIndex update,
                           std::uint32_t hops, ServerIndex from) {
  const UpdateStats& held_update = updates_[update];
  ClientState& c = clients_[held_update.client];
  std::uint32_t& count = held(server, held_update.client);
  const std::uint32_t before = count;
  while (count < c.ordered.size() &&
         core::compare_updates(updates_[c.ordered[count]].update, held_update.update) <= 0) {
    UpdateIndex delivered = c.ordered[count];
    first_hold(now, server, delivered, delivered == update, hops, from);
    ++count;
  }
  if (before < c.ordered.size() && count == c.ordered.size() && live_[server]) {
    ++c.caught_up;
    --lagging_;
    settle(now);
  }
}

void MetricsRecorder::settle(Nanoseconds now) {
  if (lagging_ == 0 && !converged_at_ns_) converged_at_ns_ = now;
}

void MetricsRecorder::on_read(Nanoseconds now, ServerIndex server,
                              const core::SharedText& at_line, std::uint64_t id) {
  auto parsed = core::LocationUpdate::from_at_line(at_line);
  if (!parsed) return;
  std::uint32_t client = client_index(parsed->client);
  auto index = find_update(id);
  const ClientState& c = clients_[client];
  bool stale = c.newest && (!index || (*index != *c.newest &&
                                       core::compare_updates(updates_[*c.newest].update,
                                                             *parsed) > 0));
  reads_.push_back(ReadStats{now, server, client, index, stale});
}

void MetricsRecorder::on_request(bool answered) {
  ++requests_;
  if (answered) ++answered_;
}

void MetricsRecorder::on_server_down(Nanoseconds now, ServerIndex server) {
  if (!live_[server]) return;
  live_[server] = false;
  --live_count_;
  for (std::uint32_t client = 0; client < clients_.size(); ++client) {
    if (held(server, client) == clients_[client].ordered.size()) {
      --clients_[client].caught_up;
    } else {
      --lagging_;
    }
  }
  settle(now);
}

void MetricsRecorder::on_server_up(Nanoseconds now, ServerIndex server, bool lost_state) {
  if (live_[server]) return;
  live_[server] = true;
  ++live_count_;
  for (std::uint32_t client = 0; client < clients_.size(); ++client) {
    std::uint32_t& count = held(server, client);
    if (lost_state) {
      // What it held before is not delivered to it again when a friend refills it.
      const auto& ordered = clients_[client].ordered;
      for (std::uint32_t i = 0; i < count; ++i) {
        held_before_amnesia_.insert((static_cast<std::uint64_t>(ordered[i]) << 32) | server);
      }
      count = 0;
    }
    if (count == clients_[client].ordered.size()) {
      ++clients_[client].caught_up;
    } else {
      ++lagging_;
      converged_at_ns_.reset();
    }
  }
  on_heal(now);
}

void MetricsRecorder::on_heal(Nanoseconds now) {
  last_disturbance_ns_ = std::max(last_disturbance_ns_, now);
  if (lagging_ > 0) converged_at_ns_.reset();
  settle(now);
}

void MetricsRecorder::reserve_staleness_samples(std::size_t samples) {
  // Grown by doubling, the rows of a big herd's last sample would need room for twice their
  // number, and the old rows beside the new while they are copied, just as memory peaks.
  constexpr std::size_t kMostRows = std::size_t{1} << 26;  // 2 GiB of rows; past that, grow
  if (samples == 0 || servers_ == 0 || samples > kMostRows / servers_) return;
  staleness_.reserve(staleness_.size() + samples * servers_);
}

void MetricsRecorder::sample_staleness(Nanoseconds now) {
  // The rows are filled where they are kept, one per live server in server order, rather
  // than in a scratch row and total per server: 40 bytes a server in a big herd.
  const std::size_t first = staleness_.size();
  for (ServerIndex server = 0; server < servers_; ++server) {
    if (!live_[server]) continue;
    StalenessSample& sample = staleness_.emplace_back();
    sample.at_ns = now;
    sample.server = server;
  }
  StalenessSample* const rows = staleness_.data() + first;
  const bool all_live = live_count_ == servers_;
  // Client by client, so that the counts are read in the order they are laid out.
  std::uint32_t known = 0;
  for (std::uint32_t client = 0; client < clients_.size(); ++client) {
    const ClientState& c = clients_[client];
    if (c.ordered.empty()) continue;
    ++known;
    const std::uint32_t* counts = &held(0, client);
    StalenessSample* row = rows;
    for (ServerIndex server = 0; server < servers_; ++server) {
      if (!all_live && !live_[server]) continue;
      StalenessSample& sample = *row++;
      std::uint32_t count = counts[server];
      if (count == c.ordered.size()) continue;
      Nanoseconds staleness = now - c.since[count];
      ++sample.stale_clients;
      sample.max_staleness_ns = std::max(sample.max_staleness_ns, staleness);
      sample.mean_staleness_ns += staleness;  // the total until divided below
    }
  }
  for (std::size_t i = first; i < staleness_.size(); ++i) {
    StalenessSample& sample = staleness_[i];
    sample.mean_staleness_ns = known ? sample.mean_staleness_ns / known : 0;
  }
}

namespace {
Percentiles percentiles(std::vector<Nanoseconds> values) {
  Percentiles p;
  p.count = values.size();
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  // Nearest-rank percentiles: the smallest value with at least q of the data at or below.
  auto rank = [&](double q) {
    auto r = static_cast<std::size_t>(q * static_cast<double>(values.size()) + 0.999999999);
    return values[std::min(values.size() - 1, r == 0 ? 0 : r - 1)];
  };
  p.p50_ns = rank(0.50);
  p.p95_ns = rank(0.95);
  p.p99_ns = rank(0.99);
  p.max_ns = values.back();
  double sum = 0;
  for (auto v : values) sum += static_cast<double>(v);
  p.mean_ns = sum / static_cast<double>(values.size());
  return p;
}
}  // namespace

std::optional<std::uint64_t> MetricsRecorder::newest_held(ServerIndex server,
                                                          std::uint32_t client) const {
  const std::uint32_t count = held_[static_cast<std::size_t>(client) * servers_ + server];
  if (count == 0) return std::nullopt;
  return core::update_id(*updates_[clients_[client].ordered[count - 1]].update.at_line);
}

std::uint32_t MetricsRecorder::live_holders(UpdateIndex update) const {
  const UpdateStats& u = updates_[update];
  const ClientState& c = clients_[u.client];
  auto position = static_cast<std::uint32_t>(
      std::find(c.ordered.begin(), c.ordered.end(), update) - c.ordered.begin());
  const std::uint32_t* counts = &held_[static_cast<std::size_t>(u.client) * servers_];
  std::uint32_t holders = 0;
  for (ServerIndex server = 0; server < servers_; ++server) {
    if (live_[server] && counts[server] > position) ++holders;
  }
  return holders;
}

void MetricsRecorder::mark_workload_end() {
  incomplete_at_workload_end_.assign(updates_.size(), false);
  if (lagging_ == 0) return;
  for (UpdateIndex i = 0; i < updates_.size(); ++i) {
    incomplete_at_workload_end_[i] = live_holders(i) < live_count_;
  }
}

Summary MetricsRecorder::summarize() const {
  Summary s;
  s.updates = updates_.size();
  s.deliveries_direct = deliveries_direct_;
  s.peer_messages = peer_messages_;
  for (std::size_t k = 0; k < kPeerLineKinds; ++k) {
    if (static_cast<PeerLineKind>(k) == PeerLineKind::greeting) continue;
    s.peer_lines += by_kind_[k].lines;
    s.peer_bytes += by_kind_[k].bytes;
  }
  s.propagation = percentiles(delays_ns_);
  s.reach_min = 1;
  double reach_total = 0, ldh_total = 0, rmr_total = 0;
  std::uint64_t rmr_count = 0, spread = 0;
  for (std::uint32_t i = 0; i < updates_.size(); ++i) {
    const UpdateStats& u = updates_[i];
    const std::uint32_t holders_now = live_holders(i);
    double reach = live_count_ ? static_cast<double>(holders_now) / live_count_ : 0.0;
    reach_total += reach;
    s.reach_min = std::min(s.reach_min, reach);
    if (holders_now < live_count_) {
      ++s.lost_updates;
    } else if (i < incomplete_at_workload_end_.size() && incomplete_at_workload_end_[i]) {
      ++s.in_flight_updates;
    }
    s.ldh_max = std::max(s.ldh_max, u.ldh);
    ldh_total += u.ldh;
    if (u.holders > 1) {
      rmr_total += static_cast<double>(u.deliveries) / (u.holders - 1) - 1.0;
      ++rmr_count;
      spread += u.holders - 1;
    }
  }
  if (!updates_.empty()) {
    s.reach_mean = reach_total / static_cast<double>(updates_.size());
    s.ldh_mean = ldh_total / static_cast<double>(updates_.size());
    s.messages_per_update =
        static_cast<double>(s.peer_lines) / static_cast<double>(updates_.size());
  }
  if (rmr_count) s.rmr_mean = rmr_total / static_cast<double>(rmr_count);
  if (spread) s.rmr = static_cast<double>(s.peer_lines) / static_cast<double>(spread) - 1.0;
  s.reads = reads_.size();
  for (const auto& r : reads_) s.stale_reads += r.stale ? 1 : 0;
  s.unknown_reads = unknown_reads_;
  s.requests = requests_;
  s.answered = answered_;
  s.availability = requests_ ? static_cast<double>(answered_) / static_cast<double>(requests_) : 1.0;
  if (converged_at_ns_ && lagging_ == 0) {
    s.convergence_ns = std::max<Nanoseconds>(0, *converged_at_ns_ - last_disturbance_ns_);
  }
  for (const auto& sample : staleness_) {
    s.max_staleness_ns = std::max(s.max_staleness_ns, sample.max_staleness_ns);
  }
  return s;
}

}  // namespace herd::sim
