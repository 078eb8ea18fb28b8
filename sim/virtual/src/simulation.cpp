#include "herd/sim/simulation.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <limits>
#include <stdexcept>
#include <utility>

#include "herd/core/codec.hpp"
#include "herd/places/offline_gazetteer.hpp"
#include "herd/sim/delay_sampler.hpp"
#include "herd/sim/random_faults.hpp"
#include "simulation_inline.hpp"
#include "simulation_lanes.hpp"

namespace herd::sim {
namespace {

// Sub-seed streams of the scenario seed. Links use kLinkStream + link index.
constexpr std::uint64_t kWorkloadStream = 1;
constexpr std::uint64_t kFaultStream = 2;
constexpr std::uint64_t kClientLatencyStream = 3;
constexpr std::uint64_t kServerStream = 2'000'000;  // + server index: strategy randomness
constexpr std::uint64_t kLinkStream = 1'000'000;

const char* const kNoPlaces =
    "{\n   \"html_attributions\" : [],\n   \"results\" : [],\n   \"status\" : \"ZERO_RESULTS\"\n}";

// Free in-flight slots hold the next free slot's number in their conn field.
static_assert(sizeof(core::ConnId) >= sizeof(std::uint64_t));

// A trace's peer kinds are the recorder's line kinds, value for value.
static_assert(static_cast<int>(MessageKind::greeting) == static_cast<int>(PeerLineKind::greeting));
static_assert(static_cast<int>(MessageKind::at) == static_cast<int>(PeerLineKind::at));
static_assert(static_cast<int>(MessageKind::ae_push) == static_cast<int>(PeerLineKind::ae_push));
static_assert(static_cast<int>(MessageKind::other) == static_cast<int>(PeerLineKind::other));
static_assert(kPeerLineKinds == static_cast<std::size_t>(MessageKind::other) + 1);

// The update an AT or AE PUSH line carries: the id of its AT line (its first six fields),
// as servers and the recorder compute it; 0 for other lines.
std::uint64_t carried_update(MessageKind kind, std::string_view line) {
  constexpr std::string_view kPush = "AE PUSH ";
  if (kind == MessageKind::ae_push) {
    if (!line.starts_with(kPush)) return 0;
    line.remove_prefix(kPush.size());
  } else if (kind != MessageKind::at) {
    return 0;
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  auto parsed = core::split_peer_update(line);
  return parsed ? core::update_id(parsed->at_line) : 0;
}

}  // namespace

bool invariants_by_default() {
  // Read once: the environment is configuration, like the command line.
  static const bool on = [] {
    const char* env = std::getenv("HERD_CHECK_INVARIANTS");
    if (env != nullptr && *env != '\0') return std::string_view(env) != "0";
#ifdef NDEBUG
    return false;
#else
    return true;
#endif
  }();
  return on;
}

bool shared_parsing_by_default() {
  static const bool on = [] {
    const char* env = std::getenv("HERD_SHARED_PARSING");
    return env == nullptr || std::string_view(env) != "0";
  }();
  return on;
}

Simulation::Simulation(const Scenario& scenario, HerdLayout layout, SimulationOptions options)
    : Simulation(scenario, std::make_shared<const HerdLayout>(std::move(layout)),
                 std::move(options)) {}

Simulation::Simulation(const Scenario& scenario, std::shared_ptr<const HerdLayout> layout,
                       SimulationOptions options)
    : scenario_(scenario),
      shared_layout_(layout ? std::move(layout)
                            : throw std::invalid_argument("Simulation: no herd layout")),
      layout_(*shared_layout_),
      options_(std::move(options)),
      metrics_(layout_.size(), options_.keep_deliveries),
      workload_(scenario.workload, layout_.size(), derive_seed(scenario.seed, kWorkloadStream),
                scenario.epoch_ns, scenario.duration_ns),
      client_rng_(derive_seed(scenario.seed, kClientLatencyStream)) {
  // Below this many servers the whole herd's state stays in cache and prefetching only
  // costs the work of computing what to prefetch.
  prefetch_ = layout_.size() >= 64;
  share_parsing_ = options_.share_parsing.value_or(shared_parsing_by_default());
  if (options_.check_invariants.value_or(invariants_by_default())) {
    checker_.emplace();
  }
  if (options_.trace.value_or(scenario_.trace)) trace_.emplace(scenario_.trace_limit);
  build_servers(scenario_);
  build_links(scenario_);
  metrics_.track_links(links_.size());
  schedule_faults(scenario_);
  prepare_link_tables();
}

Simulation::~Simulation() {
  // A million servers take seconds to free: the run's threads share that too.
  if (servers_.size() >= kServersPerSetupThread * 2) {
    for_each_on_threads(setup_threads(), servers_.size(),
                        [this](std::size_t i) { servers_[i].core.reset(); });
  }
}

core::ServerConfig Simulation::server_config(std::uint32_t index) const {
  core::ServerConfig config;
  config.name = layout_.names[index];
  config.friends.reserve(layout_.neighbours[index].size());
  for (auto friend_index : layout_.neighbours[index]) {
    config.friends.push_back(layout_.names[friend_index]);
  }
  config.peer_secret = "sim";
  config.log_traffic = false;
  config.emit_observations = true;
  config.forward_memos = share_parsing_;
  config.limits.idle_timeout_ns = 0;  // simulated clients never idle on a connection
  config.limits.line_timeout_ns = 0;  // nor leave a line unfinished
  config.limits.max_connections = std::numeric_limits<std::size_t>::max();
  // The workload and scripts bound the clients and their IDs; every record is a result.
  config.limits.max_records = 0;
  config.limits.max_client_bytes = config.limits.max_line_bytes;
  config.propagation = scenario_.propagation;
  config.propagation.seed = derive_seed(scenario_.seed, kServerStream + index);
  config.strategy_factory = options_.strategy_factory;
  return config;
}

void Simulation::build_servers(const Scenario&) {
  servers_.resize(layout_.size());
  arena_ = ServerArena(layout_.size());
  // Each server is built from its own configuration and seed alone, so building them on
  // the run's threads changes nothing but the time it takes.
  for_each_on_threads(setup_threads(), servers_.size(), [this](std::size_t i) {
    servers_[i].core = arena_.make(i, server_config(static_cast<std::uint32_t>(i)));
  });
}

void Simulation::build_links(const Scenario&) {
  const std::uint32_t n = layout_.size();
  // Links are numbered server by server, each server's in its friends' order: link
  // out_begin_[s] + p goes from s to its friend p. Their count is known, so nothing grows.
  out_begin_.resize(std::size_t{n} + 1);
  std::uint64_t total = 0;
  for (std::uint32_t from = 0; from < n; ++from) {
    out_begin_[from] = static_cast<std::uint32_t>(total);
    total += layout_.neighbours[from].size();
    if (total > std::numeric_limits<std::uint32_t>::max()) {
      throw std::length_error("the herd has more than 2^32 - 1 links");
    }
  }
  out_begin_[n] = static_cast<std::uint32_t>(total);
  links_.resize(total);
  in_begin_.assign(std::size_t{n} + 1, 0);
  for (std::uint32_t from = 0; from < n; ++from) {
    const auto& friends = layout_.neighbours[from];
    for (std::size_t peer = 0; peer < friends.size(); ++peer) {
      links_[out_begin_[from] + peer].to = friends[peer];
      ++in_begin_[friends[peer] + 1];
    }
  }
  for (std::uint32_t s = 0; s < n; ++s) in_begin_[s + 1] += in_begin_[s];
  // Each server's links in, in ascending link index (the order they were made in).
  in_links_.resize(total);
  std::vector<std::uint32_t> fill(in_begin_.begin(), in_begin_.end() - 1);
  for (std::uint32_t link = 0; link < total; ++link) in_links_[fill[links_[link].to]++] = link;

  for (const auto& override_spec : scenario_.network.links) {
    std::uint32_t a = layout_.index_of(override_spec.a);
    std::uint32_t b = layout_.index_of(override_spec.b);
    bool found = false;
    const auto apply = [&](std::uint32_t from, std::uint32_t to) {
      const auto& friends = layout_.neighbours[from];
      auto it = std::find(friends.begin(), friends.end(), to);
      if (it == friends.end() || *it != to) return;
      const auto link = static_cast<std::uint32_t>(out_begin_[from] + (it - friends.begin()));
      if (override_spec.latency) {
        if (base_latency_.empty()) base_latency_.assign(total, &scenario_.network.latency);
        base_latency_[link] = &*override_spec.latency;
      }
      if (override_spec.loss) {
        if (loss_.empty()) loss_.assign(total, scenario_.network.loss);
        loss_[link] = *override_spec.loss;
      }
      found = true;
    };
    apply(a, b);
    if (override_spec.both_directions) apply(b, a);
    if (!found) {
      throw std::invalid_argument(
          (override_spec.where.empty() ? std::string("network.links") : override_spec.where) +
          ": " + override_spec.a + " and " + override_spec.b + " are not friends");
    }
  }
}

// Runs after the faults are known: a generator per link only if some latency or loss of
// the run draws from it, a current latency per link only if links differ or a latency
// fault may change them, clog times only if a clog fault may set them.
void Simulation::prepare_link_tables() {
  const std::size_t total = links_.size();
  bool draws = delay_draws(scenario_.network.latency) || scenario_.network.loss > 0;
  for (const auto& spec : scenario_.network.links) {
    draws = draws || (spec.latency && delay_draws(*spec.latency)) || (spec.loss && *spec.loss > 0);
  }
  bool latency_faults = false, clog_faults = false;
  for (const auto& f : faults_) {
    if (f.kind == FaultSpec::Kind::latency) {
      latency_faults = true;
      draws = draws || delay_draws(f.latency);
    }
    clog_faults = clog_faults || f.kind == FaultSpec::Kind::clog;
  }
  if (draws) {
    link_rng_.reserve(total);
    for (std::size_t link = 0; link < total; ++link) {
      link_rng_.emplace_back(derive_seed(scenario_.seed, kLinkStream + link));
    }
  }
  if (latency_faults && base_latency_.empty()) {
    base_latency_.assign(total, &scenario_.network.latency);
  }
  latency_ = base_latency_;
  if (clog_faults) clog_until_ns_.assign(total, 0);
}

std::uint32_t Simulation::link_from(std::uint32_t link) const {
  // The last server whose links start at or before this one.
  auto it = std::upper_bound(out_begin_.begin(), out_begin_.end(), link);
  return static_cast<std::uint32_t>(it - out_begin_.begin() - 1);
}

void Simulation::schedule_faults(const Scenario& scenario) {
  faults_ = scenario.faults;
  if (scenario.random_faults.enabled) {
    Prng rng(derive_seed(scenario.seed, kFaultStream));
    auto drawn = draw_random_faults(scenario.random_faults, layout_, scenario.workload,
                                    scenario.duration_ns, rng);
    faults_.insert(faults_.end(), drawn.begin(), drawn.end());
  }
  fault_active_.assign(faults_.size(), false);
  cut_sides_.assign(faults_.size(), {});
  for (std::size_t i = 0; i < faults_.size(); ++i) {
    const FaultSpec& f = faults_[i];
    if (f.kind == FaultSpec::Kind::partition) {
      cut_sides_[i].assign(layout_.size(), -1);
      for (std::size_t g = 0; g < f.groups.size(); ++g) {
        for (const auto& name : f.groups[g]) cut_sides_[i][layout_.index_of(name)] = static_cast<int>(g);
      }
    } else if (f.kind == FaultSpec::Kind::one_way) {
      cut_sides_[i].assign(layout_.size(), 0);
      for (const auto& name : f.from) cut_sides_[i][layout_.index_of(name)] |= 1;
      for (const auto& name : f.to) cut_sides_[i][layout_.index_of(name)] |= 2;
    }
  }
  for (std::size_t i = 0; i < faults_.size(); ++i) {
    // Validate names now, so a bad fault fails before the run rather than halfway.
    for (const auto& name : faults_[i].servers) (void)layout_.index_of(name);
    for (const auto& group : faults_[i].groups) {
      for (const auto& name : group) (void)layout_.index_of(name);
    }
    for (const auto& name : faults_[i].from) (void)layout_.index_of(name);
    for (const auto& name : faults_[i].to) (void)layout_.index_of(name);
  }
}

const core::Server* Simulation::server(std::uint32_t index) const {
  const SimServer& s = servers_.at(index);
  return s.up ? s.core.get() : nullptr;
}

core::Instant Simulation::local_now(std::uint32_t server, Nanoseconds now) const {
  if (clocks_.empty()) return core::Instant{scenario_.epoch_ns + now};
  const ClockOffset& c = clocks_[server];
  Nanoseconds drift = 0;
  if (c.drift_ppm != 0) {
    drift = static_cast<Nanoseconds>(static_cast<double>(now - c.drift_from_ns) * c.drift_ppm /
                                     1e6);
  }
  return core::Instant{scenario_.epoch_ns + now + c.skew_ns + drift};
}

// --- the run loop --------------------------------------------------------------------------

void Simulation::run() {
  if (ran_) throw std::logic_error("Simulation::run called twice");
  ran_ = true;
  // Every link starts connected; greetings flow at time 0 like a herd starting up. Each
  // link's greeting is in flight at once: room for their slots is made up front rather
  // than by doubling, which would hold the old and the new copy at once (the event queue
  // grows in fixed chunks).
  small_in_flight_.reserve(links_.size());
  // Staleness samples: one at 0 and each sample_every_ns within the duration, and one at
  // the end unless that fell on it.
  const Nanoseconds end = scenario_.duration_ns;
  std::size_t samples = 1;
  if (scenario_.sample_every_ns > 0 && end >= 0) {
    samples = static_cast<std::size_t>(end / scenario_.sample_every_ns) + 1 +
              (end % scenario_.sample_every_ns != 0 ? 1 : 0);
  }
  metrics_.reserve_staleness_samples(samples);
  if (options_.threads != 1) {
    parallel_report_.serial_because = parallel_refusal();
    if (parallel_report_.serial_because.empty()) start_threads();
  }
  // The threads are joined and their state dropped however the run ends (a violation
  // throws).
  struct Release {
    std::unique_ptr<Parallel>& p;
    ~Release() { p.reset(); }
  } release{parallel_};
  if (parallel_) {
    bring_up_on_threads();
  } else {
    for (std::uint32_t from = 0; from < layout_.size(); ++from) {
      for (std::uint32_t i = out_begin_[from]; i < out_begin_[from + 1]; ++i) bring_up(i, from);
    }
  }
  for (std::size_t i = 0; i < faults_.size(); ++i) {
    queue_.push(faults_[i].at_ns, EventKind::fault_start, 0, i);
  }
  if (auto t = workload_.first_iamat()) queue_.push(*t, EventKind::iamat);
  if (auto t = workload_.first_whatsat()) queue_.push(*t, EventKind::whatsat);
  for (std::size_t i = 0; i < scenario_.workload.script.size(); ++i) {
    const auto& line = scenario_.workload.script[i];
    (void)layout_.index_of(line.server);
    queue_.push(line.at_ns, EventKind::scripted, 0, i);
  }
  if (scenario_.sample_every_ns > 0) queue_.push(0, EventKind::sample);

  if (parallel_) {
    run_on_threads(end);
    parallel_.reset();
  }
  const Nanoseconds progress_step = std::max<Nanoseconds>(1, end / 100);
  Nanoseconds next_progress = progress_step;
  while (!queue_.empty() && queue_.top().at_ns <= end) {
    Event event = queue_.pop();
    if (prefetch_ && !queue_.empty()) prefetch_ahead();
    step(event);
    if (options_.progress && now_ns_ >= next_progress) {
      options_.progress(static_cast<double>(now_ns_) / static_cast<double>(end));
      next_progress = now_ns_ + progress_step;
    }
  }
  now_ns_ = end;
  counters_.simulated_ns = end;
  // The last sample, unless the periodic one already fell on the end.
  if (last_sample_ns_ != end) metrics_.sample_staleness(end);
  metrics_.mark_workload_end();
  drain_until_settled(end);
  if (trace_) finish_trace();
  if (checker_) check_stores_at_end();
}

// Past the duration, updates still spreading are not lost: let the network and the servers'
// timers run on, without clients, fault changes or samples, until every live server holds
// every update or the drain bound is reached. Faults in force at the end stay in force.
void Simulation::drain_until_settled(Nanoseconds end) {
  if (scenario_.drain_ns <= 0 || metrics_.lagging_pairs() == 0) return;
  draining_ = true;
  const Nanoseconds limit = end > std::numeric_limits<Nanoseconds>::max() - scenario_.drain_ns
                                ? std::numeric_limits<Nanoseconds>::max()
                                : end + scenario_.drain_ns;
  while (!queue_.empty() && queue_.top().at_ns <= limit && metrics_.lagging_pairs() > 0) {
    Event event = queue_.pop();
    switch (event.kind()) {
      case EventKind::deliver_peer:
      case EventKind::server_timer:
      case EventKind::link_up:
        break;
      default:
        continue;  // the workload, the fault schedule and sampling ended with the duration
    }
    step(event);
  }
  counters_.drained_ns = now_ns_ - end;
}

void Simulation::step(const Event& event) {
  enter(event);
  dispatch(event);
}

void Simulation::enter(const Event& event) {
  // The cheap comparisons inline on every event; the checker words the error.
  if (event.at_ns < now_ns_ ||
      (scenario_.max_events != 0 && counters_.events >= scenario_.max_events)) {
    if (auto broken = InvariantChecker::on_event(event.at_ns, now_ns_, counters_.events + 1,
                                                 scenario_.max_events)) {
      violation(std::nullopt, *broken);
    }
  }
  now_ns_ = event.at_ns;
  ++counters_.events;
  fingerprint_.add(static_cast<std::uint64_t>(event.at_ns),
                   (static_cast<std::uint64_t>(event.kind()) << 32) | event.a);
}

// The metrics say which update each live server holds for each client; the servers' own
// records must say the same, or every figure of the run is off.
void Simulation::check_stores_at_end() const {
  const auto& clients = metrics_.client_names();
  for (std::uint32_t server = 0; server < servers_.size(); ++server) {
    const SimServer& s = servers_[server];
    if (!s.up) continue;
    for (std::uint32_t client = 0; client < clients.size(); ++client) {
      const core::StoredRecord* record = s.core->records().find(clients[client]);
      auto expected = metrics_.newest_held(server, client);
      std::optional<std::uint64_t> held;
      if (record) held = record->id;
      if (held != expected) {
        violation(server, "holds " + (record ? "'" + core::log_excerpt(*record->update.at_line) + "'"
                                             : std::string("no record")) +
                              " for client " + clients[client] +
                              " but the metrics say it holds " +
                              (expected ? core::format_update_id(*expected) : "nothing"));
      }
      if (checker_ && held != checker_->held(server, clients[client])) {
        violation(server, "holds a record for client " + clients[client] +
                              " that its stored-record reports do not account for");
      }
    }
  }
}

// On a big herd every delivery touches state that went cold long ago in wall-clock terms,
// through a chain of loads that each wait for the last: the link, the receiving server's
// entry, its object, its connection ids, then its connection and the record the line's
// client maps to. The queue's front run shows the next events, so each link of the chain
// is loaded one event before the next needs it: prefetch_stage(ahead(k), k) for each k.
void Simulation::prefetch_ahead() {
  for (std::size_t k = 0; k < EventQueue::kAhead; ++k) {
    const Event* e = queue_.ahead(k);
    if (e == nullptr) break;
    prefetch_stage(*e, k);
  }
}

// Stage k is for the event k places after the next one (stage 0: the next), so the first
// loads of a delivery's chain start earliest: the link and the message, the server's
// entry, its object, its hot state, and last the connection and record the line touches.
static_assert(EventQueue::kAhead == 5, "one prefetch stage per event the queue shows ahead");

void Simulation::prefetch_stage(const Event& event, std::size_t stage) const noexcept {
  if (event.kind() != EventKind::deliver_peer) return;
  switch (stage) {
    case 4: {
      __builtin_prefetch(&links_[event.a]);
      if (event.payload & 1) {
        __builtin_prefetch(&small_in_flight_[event.payload >> 1]);
      } else {
        const char* slot = reinterpret_cast<const char*>(&in_flight_[event.payload >> 1]);
        __builtin_prefetch(slot);
        __builtin_prefetch(slot + 64);
        __builtin_prefetch(slot + 128);
      }
      return;
    }
    case 3: __builtin_prefetch(&servers_[links_[event.a].to]); return;
    default: break;
  }
  const Link& link = links_[event.a];
  const SimServer& dst = servers_[link.to];
  if (!dst.up) return;
  switch (stage) {
    case 2: dst.core->prefetch_object(); return;
    case 1: dst.core->prefetch_state(link.conn); return;
    case 0: dst.core->prefetch_hint(link.conn, message_text(event.payload)); return;
    default: return;
  }
}

void Simulation::dispatch(const Event& event) {
  switch (event.kind()) {
    case EventKind::deliver_peer: deliver_peer(event.a, event.payload); break;
    case EventKind::deliver_client: deliver_client(event.payload); break;
    case EventKind::server_timer: on_timer(event.a, event.at_ns); break;
    case EventKind::link_up:
      links_[event.a].reconnect_pending = false;
      if (!links_[event.a].up && should_be_up(event.a)) bring_up(event.a);
      break;
    case EventKind::fault_start: start_fault(event.payload); break;
    case EventKind::fault_end: end_fault(event.payload); break;
    case EventKind::iamat:
      submit(workload_.make_iamat(now_ns_));
      if (auto next = workload_.next_iamat(now_ns_)) queue_.push(*next, EventKind::iamat);
      break;
    case EventKind::whatsat:
      if (auto command = workload_.make_whatsat(now_ns_)) submit(std::move(*command));
      if (auto next = workload_.next_whatsat(now_ns_)) queue_.push(*next, EventKind::whatsat);
      break;
    case EventKind::scripted: {
      const ScriptedCommand& line = scenario_.workload.script[event.payload];
      submit(ClientCommand{ClientCommand::Kind::script, layout_.index_of(line.server), line.line});
      break;
    }
    case EventKind::sample:
      metrics_.sample_staleness(now_ns_);
      last_sample_ns_ = now_ns_;
      queue_.push(now_ns_ + scenario_.sample_every_ns, EventKind::sample);
      break;
  }
}

// A client command travels to its server with the client latency, then is sent the way a
// grader sends it: connect, one line, half-close.
void Simulation::submit(ClientCommand command) {
  ++counters_.client_commands;
  fingerprint_.add_bytes(command.line);
  if (options_.on_client_command) options_.on_client_command(now_ns_, command.server, command.line);
  Nanoseconds delay = sample_delay(scenario_.network.client_latency, client_rng_);
  std::uint64_t slot;
  if (!free_commands_.empty()) {
    slot = free_commands_.back();
    free_commands_.pop_back();
    commands_[slot] = std::move(command);
  } else {
    slot = commands_.size();
    commands_.push_back(std::move(command));
  }
  if (trace_) {
    const ClientCommand& c = commands_[slot];
    MessageKind kind = c.kind == ClientCommand::Kind::iamat    ? MessageKind::iamat
                       : c.kind == ClientCommand::Kind::whatsat ? MessageKind::whatsat
                       : c.line.starts_with("IAMAT ")           ? MessageKind::iamat
                       : c.line.starts_with("WHATSAT ")         ? MessageKind::whatsat
                                                                : MessageKind::client_other;
    if (command_row_.size() <= slot) command_row_.resize(slot + 1, MessageTrace::kNoRow);
    // The connection is opened on arrival; `from` gets its number then.
    command_row_[slot] = trace_->add(MessageRecord{now_ns_, now_ns_ + delay, 0, 0, c.server,
                                                   static_cast<std::uint32_t>(c.line.size() + 1),
                                                   kind, MessageOutcome::in_flight});
  }
  queue_.push(now_ns_ + delay, EventKind::deliver_client, commands_[slot].server, slot);
}

void Simulation::deliver_client(std::uint64_t slot) {
  const std::uint32_t server = commands_[slot].server;
  SimServer& s = servers_[server];
  if (!s.up) {
    metrics_.on_request(false);
    if (trace_ && command_row_[slot] != MessageTrace::kNoRow) {
      MessageRecord& row = trace_->row(command_row_[slot]);
      row.recv_ns = now_ns_;
      row.outcome = MessageOutcome::lost;
    }
    free_commands_.push_back(slot);
    return;
  }
  if (s.paused) {
    backlogs_[server].push_back(PausedInput{EventKind::deliver_client, server, slot});
    return;
  }
  core::ConnId conn = next_conn_++;
  ClientCommand& command = commands_[slot];
  open_requests_.emplace_back(conn, OpenRequest{command.kind, false});
  command.line.push_back('\n');
  core::Instant now = local_now(server);
  const std::uint32_t row = trace_ ? command_row_[slot] : MessageTrace::kNoRow;
  if (trace_) {
    // Past the limit (no row) its replies are still counted as unrecorded.
    tracing_ = TraceDelivery{true, row, server, conn, false};
    if (row != MessageTrace::kNoRow) {
      MessageRecord& r = trace_->row(row);
      r.recv_ns = now_ns_;
      r.from = static_cast<std::uint32_t>(conn);
    }
  }
  s.core->handle_conn_open(now, conn);
  s.core->handle_conn_bytes(now, conn, command.line);
  s.core->handle_conn_eof(now, conn);
  free_commands_.push_back(slot);
  drain(server);
  tracing_ = TraceDelivery{};
  if (row != MessageTrace::kNoRow) {
    MessageRecord& r = trace_->row(row);
    if (r.outcome == MessageOutcome::in_flight) r.outcome = MessageOutcome::unanswered;
  }
}

std::string Simulation::link_peer_name(std::uint32_t server, core::ConnId conn) const {
  for (auto index : in_links(server)) {
    if (links_[index].conn == conn) return layout_.names[link_from(index)];
  }
  return "an unknown server (conn " + std::to_string(conn) + ")";
}

void Simulation::violation(std::optional<std::uint32_t> server, const std::string& what) const {
  // On a thread handling a window, now_ns_ and the event count are the commit's: the
  // violation is raised again when the commit reaches the event.
  if (on_lane_thread) throw LaneFailure{server, what};
  char when[64];
  std::snprintf(when, sizeof when, "t=%.9fs", static_cast<double>(now_ns_) / 1e9);
  throw InvariantViolation(std::string("invariant violated at ") + when + " (event " +
                           std::to_string(counters_.events) + (draining_ ? ", draining" : "") +
                           "): " + (server ? "server " + layout_.names[*server] + " " : "") +
                           what);
}

Simulation::OpenRequest* Simulation::open_request(core::ConnId conn) {
  for (auto& [id, request] : open_requests_) {
    if (id == conn) return &request;
  }
  return nullptr;
}

void Simulation::finish_request(core::ConnId conn) {
  for (auto it = open_requests_.begin(); it != open_requests_.end(); ++it) {
    if (it->first != conn) continue;
    metrics_.on_request(it->second.answered);
    *it = open_requests_.back();
    open_requests_.pop_back();
    return;
  }
}

void Simulation::deliver_peer(std::uint32_t link_index, std::uint64_t slot) {
  Link& link = links_[link_index];
  if (!link.up || link.conn != message_conn(slot)) {
    ++counters_.peer_dropped;
    if (trace_) trace_lost(take_trace_row(slot), message_text(slot));
    free_in_flight(slot);
    return;
  }
  SimServer& dst = servers_[link.to];
  if (dst.paused) {
    // Bytes wait in the paused process's socket buffer, in order; the slot keeps them.
    backlogs_[link.to].push_back(PausedInput{EventKind::deliver_peer, link_index, slot});
    return;
  }
  ++counters_.peer_deliveries;
  const std::string_view bytes = message_text(slot);
  metrics_.on_peer_line(link_index, classify_peer_line(bytes), bytes.size());
  fingerprint_.add_bytes(bytes);
  if (trace_) {
    // As below, but the slot is kept until the outcome is known: a rejected line's update
    // is read from its bytes.
    const std::uint32_t row = take_trace_row(slot);
    const core::ServerStats before = dst.core->stats();
    tracing_ = TraceDelivery{true, row, link.to, 0, false};
    dst.core->handle_conn_bytes(local_now(link.to), link.conn, bytes, message_memo(slot));
    drain(link.to);
    const bool warned = tracing_.warned;
    tracing_ = TraceDelivery{};
    if (row != MessageTrace::kNoRow) {
      MessageRecord& r = trace_->row(row);
      r.recv_ns = now_ns_;
      if (r.outcome == MessageOutcome::in_flight) {  // no update applied or ignored
        const core::ServerStats& after = servers_[link.to].core->stats();
        const bool refused = warned || after.bad_peer_lines != before.bad_peer_lines ||
                             after.peer_lines_too_long != before.peer_lines_too_long;
        r.outcome = refused ? MessageOutcome::rejected : MessageOutcome::delivered;
        r.update = carried_update(r.kind, message_text(slot));
      }
    }
    free_in_flight(slot);
    return;
  }
  dst.core->handle_conn_bytes(local_now(link.to), link.conn, bytes, message_memo(slot));
  // The server has consumed the bytes (it copies what it keeps); drain() may send, and
  // reuse the slot.
  free_in_flight(slot);
  drain(link.to);
}

std::uint64_t Simulation::store_in_flight(core::ConnId conn, std::string_view bytes,
                                          core::SharedText* owner,
                                          const core::PeerLineMemo* memo) {
  std::uint64_t slot;
  if (bytes.size() <= kSmallBytes) {
    if (free_small_slots_ != kNoFreeSlot) {
      slot = free_small_slots_;
      free_small_slots_ = small_in_flight_[slot >> 1].conn;
    } else {
      slot = small_in_flight_.size() * 2 + 1;
      small_in_flight_.emplace_back();
    }
    ++small_live_;
    SmallInFlight& m = small_in_flight_[slot >> 1];
    m.conn = conn;
    m.size = static_cast<std::uint32_t>(bytes.size());
    std::memcpy(m.bytes, bytes.data(), bytes.size());
    return slot;
  }
  if (free_slots_ != kNoFreeSlot) {
    slot = free_slots_;
    free_slots_ = in_flight_[slot >> 1].conn;
  } else {
    slot = in_flight_.size() * 2;
    in_flight_.emplace_back();
  }
  InFlight& m = in_flight_[slot >> 1];
  m.conn = conn;
  m.has_memo = memo != nullptr;
  if (memo) m.memo = *memo;
  if (bytes.size() <= kInlineBytes) {
    m.size = static_cast<std::uint32_t>(bytes.size());
    std::memcpy(m.inline_bytes, bytes.data(), bytes.size());
  } else {
    m.overflow = std::move(*owner);
  }
  return slot;
}

void Simulation::free_in_flight(std::uint64_t slot) {
  // Pushed on the slot's free list: the last freed is the next reused, as before the lists
  // were threaded through the slots.
  if (slot & 1) {
    if (--small_live_ == 0 && small_in_flight_.size() >= kReleaseSmallSlots) {
      // Nothing refers to a short slot any more: which slot a line takes never shows in
      // the results, so the table starts again from empty. The event queue's spare room
      // from the start-up burst goes too: the run loop holds copies of events, never
      // references into the queue.
      small_in_flight_ = {};
      free_small_slots_ = kNoFreeSlot;
      queue_.shrink_to_fit();
      return;
    }
    small_in_flight_[slot >> 1].conn = free_small_slots_;
    free_small_slots_ = slot;
    return;
  }
  InFlight& m = in_flight_[slot >> 1];
  m.overflow.reset();
  m.conn = free_slots_;
  free_slots_ = slot;
}

void Simulation::send(std::uint32_t link_index, core::SharedText bytes,
                      const core::PeerLineMemo* memo) {
  Link& link = links_[link_index];
  const std::optional<Nanoseconds> arrival =
      link.up ? draw_arrival(link_index, now_ns_) : std::nullopt;
  if (!arrival) {
    ++counters_.peer_dropped;
    if (trace_) trace_dropped(link_index, *bytes);
    return;
  }
  check_memo(link_index, *bytes, memo);
  std::uint64_t slot = store_in_flight(link.conn, *bytes, &bytes, share_parsing_ ? memo : nullptr);
  if (trace_) trace_send(link_index, slot, *arrival, message_text(slot));
  queue_.push(*arrival, EventKind::deliver_peer, link_index, slot);
}

void Simulation::on_timer(std::uint32_t server, Nanoseconds at_ns) {
  if (!timer_due(server, at_ns)) return;
  servers_[server].core->handle_timeout(local_now(server));
  timer_firing_ = server;
  drain(server);
  timer_firing_.reset();
}

// Hands everything the server produced to the network, the clients and the recorder.
void Simulation::drain(std::uint32_t server) {
  SimServer& s = servers_[server];
  while (auto output = s.core->poll_output()) {
    std::visit(
        Overloaded{
            [&](core::SendToPeer& out) {
              send(out_begin_[server] + out.peer, std::move(out.bytes),
                   s.core->forward_memo(out.memo));
            },
            [&](core::SendToConn& out) {
              OpenRequest* request = open_request(out.conn);
              if (!request) answered_link(server, out);
              request->answered = true;
              if (tracing_.active && out.conn == tracing_.conn) trace_reply(server, out);
              if (request->kind == ClientCommand::Kind::whatsat &&
                  out.bytes.compare(0, 2, "? ") == 0) {
                metrics_.on_unknown_read();
              }
            },
            [&](core::ClosePeer& out) { dropped_link(server, out); },
            [&](core::CloseConn& out) {
              if (!open_request(out.conn)) closed_link(server, out);
              s.core->handle_conn_closed(local_now(server), out.conn);
              finish_request(out.conn);
            },
            [&](core::QueryPlaces& out) {
              std::string json = kNoPlaces;
              if (options_.places) {
                json = options_.places->nearby_json(places::NearbyQuery{
                    out.lat_deg, out.lng_deg, out.radius_m, out.limit});
              }
              s.core->handle_places_result(local_now(server), out.request,
                                           core::PlacesResult{std::move(json)});
            },
            [&](core::LogRecord& out) {
              if (tracing_.active && out.level >= core::LogLevel::warn) {
                tracing_.warned = true;
              }
            },
            [&](core::Observation& out) { observe(server, out); },
        },
        *output);
  }
  if (auto at = rearm_timer(server, now_ns_, timer_firing_ == server)) {
    queue_.push(*at, EventKind::server_timer, server);
  }
  if (parallel_) parallel_dirty(server);
}

// Only clients are answered: a reply on a link means a friend's line was taken for a
// client's (a link that never greeted, a line before its greeting), and every update on
// that link would be lost unseen.
void Simulation::answered_link(std::uint32_t server, const core::SendToConn& out) const {
  violation(server, "answered a line on its inbound link from " +
                        link_peer_name(server, out.conn) + " as a client's: '" +
                        core::log_excerpt(out.bytes) + "'");
}

void Simulation::closed_link(std::uint32_t server, const core::CloseConn& out) const {
  violation(server, "closed its inbound link from " + link_peer_name(server, out.conn) + " (" +
                        std::string(core::to_string(out.reason)) +
                        "); the simulator never closes links but by faults");
}

void Simulation::dropped_link(std::uint32_t server, const core::ClosePeer& out) const {
  const std::string_view friend_name = servers_[server].core->friends().at(out.peer);
  violation(server, "dropped its link to " + std::string(friend_name) +
                        " over a failed greeting; simulated servers greet in the " +
                        "clear (HERD 1) and cannot fail that way");
}

// Links coming up and down, and faults: simulation_faults.cpp.

// --- message trace -------------------------------------------------------------------------
// Rows are appended when a message is sent, so they come in send-time order, and patched
// when its fate is known. Nothing here feeds the fingerprint or the metrics.

void Simulation::trace_send(std::uint32_t link_index, std::uint64_t slot, Nanoseconds arrival,
                            std::string_view bytes) {
  const Link& link = links_[link_index];
  const auto kind = static_cast<MessageKind>(classify_peer_line(bytes));
  const std::uint32_t row =
      trace_->add(MessageRecord{now_ns_, arrival, 0, link_from(link_index), link.to,
                                static_cast<std::uint32_t>(bytes.size()), kind,
                                MessageOutcome::in_flight});
  if (in_flight_row_.size() <= slot) in_flight_row_.resize(slot + 1, MessageTrace::kNoRow);
  in_flight_row_[slot] = row;
}

void Simulation::trace_dropped(std::uint32_t link_index, std::string_view bytes) {
  const Link& link = links_[link_index];
  const auto kind = static_cast<MessageKind>(classify_peer_line(bytes));
  (void)trace_->add(MessageRecord{now_ns_, now_ns_, carried_update(kind, bytes), link_from(link_index),
                                  link.to, static_cast<std::uint32_t>(bytes.size()), kind,
                                  MessageOutcome::dropped});
}

std::uint32_t Simulation::take_trace_row(std::uint64_t slot) {
  if (slot >= in_flight_row_.size()) return MessageTrace::kNoRow;
  return std::exchange(in_flight_row_[slot], MessageTrace::kNoRow);
}

void Simulation::trace_lost(std::uint32_t row, std::string_view bytes) {
  if (row == MessageTrace::kNoRow) return;
  MessageRecord& r = trace_->row(row);
  r.recv_ns = now_ns_;
  r.outcome = MessageOutcome::lost;
  r.update = carried_update(r.kind, bytes);
}

// An update applied or ignored while a friend's line is handled is that line's: the core
// handles one connection's bytes per call, and only friends' lines carry updates.
void Simulation::trace_observed(std::uint32_t server, const core::Observation& out) {
  if (server != tracing_.server || !out.from) return;
  MessageRecord& r = trace_->row(tracing_.row);
  if (r.outcome == MessageOutcome::applied) return;  // applied wins over a second ignore
  r.outcome = out.kind == core::ObservationKind::update_applied ? MessageOutcome::applied
                                                                : MessageOutcome::ignored;
  r.update = out.update_id;
}

// A reply to the client command being handled: a row of its own, which also settles the
// command's outcome and the update both carry (the reply's AT line).
void Simulation::trace_reply(std::uint32_t server, const core::SendToConn& out) {
  const std::string_view bytes = out.bytes;
  const bool error = bytes.starts_with("? ");
  std::uint64_t update = 0;
  if (bytes.starts_with("AT ")) update = core::update_id(bytes.substr(0, bytes.find('\n')));
  (void)trace_->add(MessageRecord{now_ns_, now_ns_, update, server,
                                  static_cast<std::uint32_t>(tracing_.conn),
                                  static_cast<std::uint32_t>(bytes.size()),
                                  error ? MessageKind::reply_error : MessageKind::reply_at,
                                  MessageOutcome::delivered});
  if (tracing_.row == MessageTrace::kNoRow) return;
  MessageRecord& request = trace_->row(tracing_.row);
  if (request.outcome != MessageOutcome::answered) {
    request.outcome = error ? MessageOutcome::rejected : MessageOutcome::answered;
    request.update = update;
  }
}

// At the end: what is still on the wire (or waiting in a paused server) stays in flight,
// with the update it carries.
void Simulation::finish_trace() {
  for (std::uint64_t slot = 0; slot < in_flight_row_.size(); ++slot) {
    const std::uint32_t row = in_flight_row_[slot];
    if (row == MessageTrace::kNoRow) continue;
    MessageRecord& r = trace_->row(row);
    r.update = carried_update(r.kind, message_text(slot));
  }
}

}  // namespace herd::sim
