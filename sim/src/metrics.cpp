#include "herd/sim/metrics.hpp"

#include <algorithm>
#include <stdexcept>

namespace herd::sim {

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
  clients_.push_back(ClientState{{}, std::nullopt, live_count_});
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
  // Everyone who held all of this client's updates now lacks one.
  lagging_ += c.caught_up;
  c.caught_up = 0;
  c.accepted.push_back(index);
  if (!c.newest || core::compare_updates(*parsed, updates_[*c.newest].update) > 0) {
    c.newest = index;
  }
  last_disturbance_ns_ = std::max(last_disturbance_ns_, now);
  converged_at_ns_.reset();
  hold(now, server, index, 0);
}

void MetricsRecorder::on_applied(Nanoseconds now, ServerIndex server, std::uint64_t id,
                                 std::uint32_t hops) {
  auto index = find_update(id);
  if (!index) return;  // injected by a script, never accepted by a server
  ++peer_messages_;
  UpdateStats& u = updates_[*index];
  ++u.deliveries;
  u.last_delivery_ns = now;
  u.ldh = std::max(u.ldh, hops);
  ++deliveries_direct_;
  hold(now, server, *index, hops);
}

void MetricsRecorder::on_ignored(Nanoseconds now, ServerIndex /*server*/, std::uint64_t id) {
  auto index = find_update(id);
  if (!index) return;
  ++peer_messages_;
  ++updates_[*index].deliveries;
  updates_[*index].last_delivery_ns = now;
}

// Server s now holds `update`: every accepted update of the same client that is not newer
// and that s did not hold yet is delivered now.
void MetricsRecorder::hold(Nanoseconds now, ServerIndex server, UpdateIndex update,
                           std::uint32_t hops) {
  const UpdateStats& held_update = updates_[update];
  ClientState& c = clients_[held_update.client];
  std::uint32_t& count = held(server, held_update.client);
  const std::uint32_t before = count;
  while (count < c.accepted.size() &&
         core::compare_updates(updates_[c.accepted[count]].update, held_update.update) <= 0) {
    UpdateIndex delivered = c.accepted[count];
    UpdateStats& d = updates_[delivered];
    ++d.holders;
    bool direct = delivered == update;
    if (server != d.origin) delays_ns_.push_back(now - d.accepted_ns);
    if (keep_deliveries_) {
      deliveries_.push_back(Delivery{delivered, server, now, direct ? hops : 0, direct});
    }
    ++count;
  }
  if (before < c.accepted.size() && count == c.accepted.size() && live_[server]) {
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
    if (held(server, client) == clients_[client].accepted.size()) {
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
    if (lost_state) count = 0;
    if (count == clients_[client].accepted.size()) {
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

void MetricsRecorder::sample_staleness(Nanoseconds now) {
  // Client by client, so that the counts are read in the order they are laid out.
  std::vector<StalenessSample> samples(servers_);
  std::vector<Nanoseconds> totals(servers_, 0);
  std::uint32_t known = 0;
  for (std::uint32_t client = 0; client < clients_.size(); ++client) {
    const ClientState& c = clients_[client];
    if (c.accepted.empty()) continue;
    ++known;
    const std::uint32_t* counts = &held(0, client);
    for (ServerIndex server = 0; server < servers_; ++server) {
      std::uint32_t count = counts[server];
      if (count == c.accepted.size()) continue;
      Nanoseconds staleness = now - updates_[c.accepted[count]].accepted_ns;
      StalenessSample& sample = samples[server];
      ++sample.stale_clients;
      sample.max_staleness_ns = std::max(sample.max_staleness_ns, staleness);
      totals[server] += staleness;
    }
  }
  for (ServerIndex server = 0; server < servers_; ++server) {
    if (!live_[server]) continue;
    StalenessSample& sample = samples[server];
    sample.at_ns = now;
    sample.server = server;
    sample.mean_staleness_ns = known ? totals[server] / known : 0;
    staleness_.push_back(sample);
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

Summary MetricsRecorder::summarize() const {
  Summary s;
  s.updates = updates_.size();
  s.deliveries_direct = deliveries_direct_;
  s.peer_messages = peer_messages_;
  s.propagation = percentiles(delays_ns_);
  s.reach_min = 1;
  double reach_total = 0, ldh_total = 0, rmr_total = 0;
  std::uint64_t rmr_count = 0;
  for (std::uint32_t i = 0; i < updates_.size(); ++i) {
    const UpdateStats& u = updates_[i];
    const ClientState& c = clients_[u.client];
    // Holders among the servers live now: the count of live servers past this update.
    std::uint32_t live_holders = 0;
    auto position = static_cast<std::uint32_t>(
        std::find(c.accepted.begin(), c.accepted.end(), i) - c.accepted.begin());
    const std::uint32_t* counts = &held_[static_cast<std::size_t>(u.client) * servers_];
    for (ServerIndex server = 0; server < servers_; ++server) {
      if (live_[server] && counts[server] > position) ++live_holders;
    }
    double reach = live_count_ ? static_cast<double>(live_holders) / live_count_ : 0.0;
    reach_total += reach;
    s.reach_min = std::min(s.reach_min, reach);
    if (live_holders < live_count_) ++s.lost_updates;
    s.ldh_max = std::max(s.ldh_max, u.ldh);
    ldh_total += u.ldh;
    if (u.holders > 1) {
      rmr_total += static_cast<double>(u.deliveries) / (u.holders - 1) - 1.0;
      ++rmr_count;
    }
  }
  if (!updates_.empty()) {
    s.reach_mean = reach_total / static_cast<double>(updates_.size());
    s.ldh_mean = ldh_total / static_cast<double>(updates_.size());
    s.messages_per_update =
        static_cast<double>(peer_messages_) / static_cast<double>(updates_.size());
  }
  if (rmr_count) s.rmr_mean = rmr_total / static_cast<double>(rmr_count);
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
