#include "herd/sim/live_runner.hpp"

#include "live_run.hpp"

namespace herd::sim {

std::vector<std::string> live_unsupported(const Scenario& scenario) {
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < scenario.faults.size(); ++i) {
    const FaultSpec& f = scenario.faults[i];
    const std::string where = "faults[" + std::to_string(i) + "]: ";
    if (f.kind == FaultSpec::Kind::clock) {
      problems.push_back(where + "clock faults (skew, drift) cannot be run live: every live "
                                 "server reads the host's clock");
    }
  }
  if (scenario.duration_ns > 86'400LL * core::kNanosPerSecond) {
    problems.push_back("scenario.duration: a live run lasts as long as its scenario, and more "
                       "than a day is refused");
  }
  if (scenario.network.reorder) {
    problems.push_back("network.reorder = true cannot be run live: every link is one TCP "
                       "connection and keeps its lines in order");
  }
  return problems;
}

namespace live_run {

// --- set-up --------------------------------------------------------------------------------

void LiveRun::make_folder() {
  std::filesystem::path parent = options_.tmp_parent.empty()
                                     ? std::filesystem::temp_directory_path()
                                     : options_.tmp_parent;
  std::string pattern = (parent / "herd-live-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw LiveRunError("cannot create the live run's folder " + pattern + ": " +
                       std::strerror(errno));
  }
  folder_ = pattern;
  // Fresh for every run: 32 random bytes, used only inside the HERD 2 handshake.
  secret_.clear();
  for (int half = 0; half < 2; ++half) {
    for (const std::uint8_t byte : auth::random_nonce()) {
      static constexpr char kDigits[] = "0123456789abcdef";
      secret_.push_back(kDigits[byte >> 4]);
      secret_.push_back(kDigits[byte & 0xf]);
    }
  }
  std::filesystem::create_directories(folder_ / "logs");
}

void LiveRun::build_links() {
  const std::uint32_t n = layout_.size();
  out_links_.assign(n, {});
  for (std::uint32_t from = 0; from < n; ++from) {
    for (std::uint32_t peer = 0; peer < layout_.neighbours[from].size(); ++peer) {
      out_links_[from].push_back(static_cast<std::uint32_t>(links_.size()));
      links_.push_back(Link{from, layout_.neighbours[from][peer], &scenario_.network.latency,
                            scenario_.network.loss});
    }
  }
  for (const auto& o : scenario_.network.links) {
    const std::uint32_t a = layout_.index_of(o.a), b = layout_.index_of(o.b);
    bool found = false;
    for (auto& link : links_) {
      if ((link.from == a && link.to == b) || (o.both_directions && link.from == b && link.to == a)) {
        if (o.latency) link.base_latency = &*o.latency;
        if (o.loss) link.loss = *o.loss;
        found = true;
      }
    }
    if (!found) throw LiveRunError("network.links: " + o.a + " and " + o.b + " are not friends");
  }
  if (options_.link_loss) {
    for (auto& link : links_) link.loss = *options_.link_loss;
  }
}

// Each server gets a config of its own: the same herd, but each friend's peer_port is the
// port of the proxy for the link from this server to that friend.
void LiveRun::write_config(std::uint32_t s) {
  const core::PropagationConfig& p = scenario_.propagation;
  std::ostringstream toml;
  toml << "# Written by herd-sim's live backend for " << toml_string(layout_.names[s]) << "\n";
  toml << "[herd]\nname = \"live\"\npeer_secret = " << toml_string(secret_)
       << "\nlog_dir = " << toml_string((folder_ / "logs").string())
       << "\nstrategy = " << toml_string(core::to_string(p.push)) << "\nfriends = [\n";
  for (std::uint32_t a = 0; a < layout_.size(); ++a) {
    for (auto b : layout_.neighbours[a]) {
      if (a < b) {
        toml << "  [" << toml_string(layout_.names[a]) << ", " << toml_string(layout_.names[b])
             << "],\n";
      }
    }
  }
  toml << "]\n\n[places]\nprovider = \"offline\"\n";
  if (!scenario_.places_db.empty()) toml << "db = " << toml_string(scenario_.places_db) << "\n";
  // Workload clients may keep a connection for the whole run, all from this host.
  toml << "\n[limits]\nidle_timeout = \"0s\"\nmax_connections = 1000000\n"
       << "max_connections_per_address = 1000000\n";
  // Records on disk, so a crash can restart with state. Faults kill processes, never the
  // machine: the operating system keeps what a commit wrote, so the log need not be synced.
  // Only runs with such a crash get a store: a commit per event-loop turn adds latency to
  // every hop, which would skew the delays of runs that never need it.
  if (durable_) {
    toml << "\n[storage]\ndir = " << toml_string((folder_ / "state").string())
         << "\nsync = \"normal\"\n";
  }
  toml << "\n[strategy]\nfanout = " << p.fanout << "\nhop_limit = " << p.hop_limit
       << "\nfeedback = " << (p.rumor_feedback ? "true" : "false")
       << "\nloss = " << (p.rumor_counter ? "\"counter\"" : "\"coin\"") << "\nk = " << p.rumor_k
       << "\nperiod = " << ns_duration(p.rumor_period_ns)
       << "\nrounds = " << toml_string(core::to_string(p.rumor_rounds))
       << "\ncounter_reset = " << (p.rumor_counter_reset ? "true" : "false")
       << "\nihave_delay = " << ns_duration(p.plumtree_ihave_delay_ns)
       << "\ngraft_timeout = " << ns_duration(p.plumtree_graft_timeout_ns)
       << "\nprune_after = " << p.plumtree_prune_after
       << "\nanti_entropy = " << (p.anti_entropy ? "true" : "false")
       << "\nanti_entropy_period = " << ns_duration(p.anti_entropy_period_ns)
       << "\nanti_entropy_on_connect = " << (p.anti_entropy_on_connect ? "true" : "false") << "\n";
  for (std::uint32_t j = 0; j < layout_.size(); ++j) {
    std::uint16_t peer_port = servers_[j].peer_port;
    if (j != s) {
      const auto& friends = layout_.neighbours[s];
      const auto it = std::find(friends.begin(), friends.end(), j);
      if (it != friends.end()) {
        peer_port = proxies_[out_links_[s][static_cast<std::size_t>(it - friends.begin())]]->port();
      }
    }
    toml << "\n[[servers]]\nname = " << toml_string(layout_.names[j])
         << "\nhost = \"127.0.0.1\"\nport = " << servers_[j].client_port
         << "\npeer_port = " << peer_port << "\n";
  }
  std::ofstream out(folder_ / (layout_.names[s] + ".toml"), std::ios::binary | std::ios::trunc);
  out << toml.str();
  if (!out.flush()) throw LiveRunError((folder_ / (layout_.names[s] + ".toml")).string() + ": cannot write");
}

void LiveRun::spawn(std::uint32_t s) {
  ServerSlot& slot = servers_[s];
  ++slot.incarnation;
  ++counters_.server_starts;
  const std::string stem = slot.name + "." + std::to_string(slot.incarnation);
  slot.ready_file = folder_ / (stem + ".ready");
  slot.output_file = folder_ / (stem + ".out");
  const auto observe = folder_ / (stem + ".obs");
  slot.observation_files.push_back(observe);
  std::vector<std::string> argv{server_bin_.string(),
                                "--config", (folder_ / (slot.name + ".toml")).string(),
                                "--name", slot.name,
                                "--observe", observe.string(),
                                "--observe-limit", std::to_string(kObserveLimit),
                                "--ready-file", slot.ready_file.string(),
                                "--log-dir", (folder_ / "logs").string(),
                                "--quiet-traffic"};
  slot.process = std::make_unique<live::ServerProcess>(argv, slot.output_file);
  janitor_->watch(slot.process->pid());
  slot.starting = true;
  slot.start_deadline = SteadyClock::now() + kStartTimeout;
}

void LiveRun::poll_start(std::uint32_t s) {
  ServerSlot& slot = servers_[s];
  if (!slot.starting) return;
  std::error_code ec;
  if (std::filesystem::exists(slot.ready_file, ec)) {
    slot.starting = false;
    slot.up = true;
    slot.attempts = 0;
    tell(LiveRunEvent::Kind::server_ready, s);
    // Friends' proxies dial its peer port from now on.
    for (std::uint32_t i = 0; i < links_.size(); ++i) {
      if (links_[i].to == s) proxies_[i]->set_target(slot.peer_port);
    }
    return;
  }
  if (auto status = slot.process->poll()) {
    slot.starting = false;
    janitor_->forget(slot.process->pid());
    const std::string output = read_text(slot.output_file);
    if (output.find("cannot listen") != std::string::npos && ++slot.attempts < kStartAttempts) {
      // Someone took a port between our pick and its bind: pick again.
      slot.client_port = live::pick_free_port();
      do slot.peer_port = live::pick_free_port(); while (slot.peer_port == slot.client_port);
      write_config(s);
      spawn(s);
      return;
    }
    throw LiveRunError(slot.name + ": herd-server exited with status " + std::to_string(*status) +
                       " at start:\n" + output);
  }
  if (SteadyClock::now() > slot.start_deadline) {
    throw LiveRunError(slot.name + ": herd-server did not get ready within " +
                       std::to_string(kStartTimeout.count()) + " s:\n" +
                       read_text(slot.output_file));
  }
}

void LiveRun::wait_for(const std::function<bool()>& done,
                       std::chrono::steady_clock::duration timeout, const std::string& what) {
  const auto deadline = SteadyClock::now() + timeout;
  while (!done()) {
    check_interrupt();
    if (!error_.empty()) throw LiveRunError(error_);
    if (SteadyClock::now() >= deadline) throw LiveRunError("timed out waiting for " + what);
    io_.run_for(std::chrono::milliseconds(5));
  }
}

// A server that exits on its own is a broken run: its output says why.
void LiveRun::check_processes() {
  for (std::uint32_t s = 0; s < servers_.size(); ++s) {
    ServerSlot& slot = servers_[s];
    if (slot.starting) {
      try {
        poll_start(s);
      } catch (const LiveRunError& e) {
        if (error_.empty()) error_ = e.what();
      }
      continue;
    }
    if (!slot.up || !slot.process) continue;
    if (auto status = slot.process->poll()) {
      if (error_.empty()) {
        error_ = slot.name + ": herd-server exited unexpectedly with status " +
                 std::to_string(*status) + ":\n" + read_text(slot.output_file);
      }
    }
  }
}

// --- scheduling ----------------------------------------------------------------------------

void LiveRun::record(RunEvent::Kind kind, ServerIndex server, bool amnesia) {
  RunEvent e;
  e.kind = kind;
  e.amnesia = amnesia;
  e.at_ns = system_now_ns() - t0_sys_ns_;
  e.server = server;
  runner_events_.push_back(e);
}

void LiveRun::at(Nanoseconds rel_ns, std::function<void()> fn) {
  // Nothing the run schedules lies beyond a day (a fault's end or a client latency drawn
  // from a heavy tail can): the clock's arithmetic must not overflow.
  constexpr Nanoseconds kHorizon = 86'400LL * 1'000'000'000;
  rel_ns = std::clamp<Nanoseconds>(rel_ns, 0, kHorizon);
  schedule_.push(Scheduled{t0_ + std::chrono::nanoseconds(rel_ns), next_seq_++, std::move(fn)});
  arm();
}

void LiveRun::arm() {
  if (schedule_.empty()) return;
  timer_.expires_at(schedule_.top().when);
  timer_.async_wait([this](const error_code& ec) {
    if (ec) return;
    const auto now = SteadyClock::now();
    while (!schedule_.empty() && schedule_.top().when <= now) {
      auto fn = schedule_.top().fn;
      schedule_.pop();
      fn();
    }
    arm();
  });
}

// --- the run -------------------------------------------------------------------------------

LiveOutcome LiveRun::run() {
  const auto problems = live_unsupported(scenario_);
  if (!problems.empty()) {
    std::string text = "this scenario cannot run on the live backend:";
    for (const auto& p : problems) text += "\n  " + p;
    throw LiveRunError(text);
  }
  if (layout_.size() == 0) throw LiveRunError("the herd has no servers");
  if (layout_.size() > kMaxLiveServers) {
    throw LiveRunError("the live backend runs at most " + std::to_string(kMaxLiveServers) +
                       " servers (one process each); this herd has " +
                       std::to_string(layout_.size()));
  }
  if (options_.link_loss && !(*options_.link_loss >= 0 && *options_.link_loss < 1)) {
    throw LiveRunError("link loss must be in [0, 1)");
  }
  server_bin_ = options_.server_bin.empty() ? default_server_bin() : options_.server_bin;
  if (::access(server_bin_.c_str(), X_OK) != 0) {
    throw LiveRunError("no herd-server executable at " + server_bin_.string() +
                       " (give its path with --server-bin)");
  }
  const auto wall_start = SteadyClock::now();
  // Injected delays are only as good as the wake-ups that end them: on a busy host every
  // wake-up of the runner or a server can wait milliseconds for a core (a nicer nice level
  // does not help against other sessions' load, which the kernel's autogroups share the CPU
  // with fairly). When allowed, run the whole live herd (the servers inherit it) under the
  // lowest real-time priority, SCHED_RR 1: they sleep almost all the time, and the kernel
  // keeps 5 % of every second for everyone else whatever they do. Otherwise 10 nice levels
  // up, if even that is allowed.
  if (options_.raise_priority) {
    const int old_policy = ::sched_getscheduler(0);
    sched_param rt{};
    rt.sched_priority = 1;
    if (old_policy == SCHED_OTHER && ::sched_setscheduler(0, SCHED_RR, &rt) == 0) {
      restore_policy_ = old_policy;
      say("running the herd under SCHED_RR priority 1");
    } else {
      errno = 0;
      const int old_nice = ::getpriority(PRIO_PROCESS, 0);
      if (errno == 0 && ::setpriority(PRIO_PROCESS, 0, std::max(-20, old_nice - 10)) == 0) {
        restore_nice_ = old_nice;
      }
    }
  }
  make_folder();
  // First, while this process has nothing else going: the janitor.
  janitor_ = std::make_unique<live::Janitor>(folder_, options_.keep_dir);
  signals_.add(SIGINT);
  signals_.add(SIGTERM);
  signals_.async_wait([this](const error_code& ec, int signal_number) {
    if (!ec) interrupted_ = signal_number;
  });

  build_links();
  metrics_ = std::make_unique<MetricsRecorder>(layout_.size(), options_.keep_deliveries);
  metrics_->track_links(links_.size());
  faults_ = scenario_.faults;
  if (scenario_.random_faults.enabled) {
    Prng rng(derive_seed(scenario_.seed, kFaultStream));
    auto drawn = draw_random_faults(scenario_.random_faults, layout_, scenario_.workload,
                                    scenario_.duration_ns, rng);
    faults_.insert(faults_.end(), drawn.begin(), drawn.end());
  }
  durable_ = std::any_of(faults_.begin(), faults_.end(), [](const FaultSpec& f) {
    return f.kind == FaultSpec::Kind::crash && !f.amnesia;
  });
  Scenario drawn_faults;
  drawn_faults.faults = faults_;
  if (!live_unsupported(drawn_faults).empty()) {
    throw LiveRunError("the random fault schedule drew a fault the live backend cannot run");
  }
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

  // The proxies listen first, on ports the kernel picks and that stay ours for the run.
  for (std::uint32_t i = 0; i < links_.size(); ++i) {
    proxies_.push_back(std::make_unique<live::LinkProxy>(
        io_, i, links_[i].base_latency, links_[i].loss,
        derive_seed(scenario_.seed, kLinkStream + i), *metrics_));
    proxies_.back()->listen();
  }
  servers_.resize(layout_.size());
  persistent_.resize(layout_.size());
  std::vector<std::uint16_t> taken;
  for (auto& p : proxies_) taken.push_back(p->port());
  auto fresh_port = [&] {
    for (;;) {
      const std::uint16_t port = live::pick_free_port();
      if (std::find(taken.begin(), taken.end(), port) == taken.end()) {
        taken.push_back(port);
        return port;
      }
    }
  };
  for (std::uint32_t s = 0; s < layout_.size(); ++s) {
    servers_[s].name = layout_.names[s];
    servers_[s].client_port = fresh_port();
    servers_[s].peer_port = fresh_port();
  }
  say("starting " + std::to_string(layout_.size()) + " herd-server processes in " + folder_.string());
  for (std::uint32_t s = 0; s < layout_.size(); ++s) write_config(s);
  for (std::uint32_t s = 0; s < layout_.size(); ++s) spawn(s);
  wait_for(
      [&] {
        bool all = true;
        for (std::uint32_t s = 0; s < servers_.size(); ++s) {
          poll_start(s);
          all = all && servers_[s].up;
        }
        return all;
      },
      kStartTimeout, "the servers to start");
  wait_for(
      [&] {
        check_processes();
        return std::all_of(proxies_.begin(), proxies_.end(), [](const auto& p) { return p->link_up(); });
      },
      kLinksTimeout, "every friend link to come up");

  // Time 0: from here on, scenario times are real time since this instant.
  t0_ = SteadyClock::now();
  t0_sys_ns_ = system_now_ns();
  tell(LiveRunEvent::Kind::time_zero);
  say("herd up; running " + std::to_string(scenario_.duration_ns / 1'000'000) + " ms of workload");
  workload_.emplace(scenario_.workload, layout_.size(), derive_seed(scenario_.seed, kWorkloadStream),
                    t0_sys_ns_, scenario_.duration_ns);
  client_rng_ = Prng(derive_seed(scenario_.seed, kClientLatencyStream));
  std::function<void(Nanoseconds)> on_iamat = [&](Nanoseconds t) {
    submit(workload_->make_iamat(t), t);
    if (auto next = workload_->next_iamat(t)) at(*next, [&, n = *next] { on_iamat(n); });
  };
  std::function<void(Nanoseconds)> on_whatsat = [&](Nanoseconds t) {
    if (auto command = workload_->make_whatsat(t)) submit(std::move(*command), t);
    if (auto next = workload_->next_whatsat(t)) at(*next, [&, n = *next] { on_whatsat(n); });
  };
  if (auto t = workload_->first_iamat()) at(*t, [&, n = *t] { on_iamat(n); });
  if (auto t = workload_->first_whatsat()) at(*t, [&, n = *t] { on_whatsat(n); });
  for (std::size_t i = 0; i < scenario_.workload.script.size(); ++i) {
    const auto& line = scenario_.workload.script[i];
    const std::uint32_t server = layout_.index_of(line.server);
    at(line.at_ns, [this, server, i] {
      submit(ClientCommand{ClientCommand::Kind::script, server, scenario_.workload.script[i].line},
             scenario_.workload.script[i].at_ns);
    });
  }
  for (std::size_t i = 0; i < faults_.size(); ++i) {
    at(faults_[i].at_ns, [this, i] { start_fault(i); });
  }

  const auto end = t0_ + std::chrono::nanoseconds(scenario_.duration_ns);
  auto next_check = SteadyClock::now();
  while (SteadyClock::now() < end) {
    check_interrupt();
    if (!error_.empty()) throw LiveRunError(error_);
    if (SteadyClock::now() >= next_check) {
      check_processes();
      next_check = SteadyClock::now() + std::chrono::milliseconds(20);
    }
    io_.run_for(std::min<SteadyClock::duration>(end - SteadyClock::now(), std::chrono::milliseconds(20)));
  }
  // The workload and the fault schedule end with the duration: nothing more is sent and
  // no fault starts or ends; faults in force stay in force.
  std::priority_queue<Scheduled, std::vector<Scheduled>, std::greater<>>().swap(schedule_);
  timer_.cancel();
  say("workload done; draining");

  // The drain: until every live server holds every update, or the bound.
  const auto drain_end = end + std::chrono::nanoseconds(std::min<Nanoseconds>(
                                    scenario_.drain_ns, 86'400LL * 1'000'000'000));
  auto next_drain_check = SteadyClock::now();
  while (scenario_.drain_ns > 0 && SteadyClock::now() < drain_end) {
    check_interrupt();
    if (!error_.empty()) throw LiveRunError(error_);
    check_processes();
    if (SteadyClock::now() >= next_drain_check) {
      // A command still on its way may yet be accepted: the herd has settled only once
      // every request has its answer and every live server holds every update.
      if (!requests_open() && converged_now()) break;
      next_drain_check = SteadyClock::now() + kDrainCheckEvery;
    }
    io_.run_for(std::min<SteadyClock::duration>(drain_end - SteadyClock::now(), std::chrono::milliseconds(20)));
  }
  const auto stopped_at = SteadyClock::now();
  counters_.simulated_ns = scenario_.duration_ns;
  counters_.drained_ns = std::max<Nanoseconds>(
      0, std::chrono::duration_cast<std::chrono::nanoseconds>(stopped_at - end).count());
  for (auto& p : proxies_) p->stop_counting();
  const Nanoseconds end_ns = scenario_.duration_ns + counters_.drained_ns;

  // Requests still open never got their answer within the run.
  for (auto& socket : std::vector(request_sockets_)) {
    error_code ignored;
    socket->close(ignored);
  }
  for (std::uint32_t s = 0; s < persistent_.size(); ++s) {
    if (persistent_[s]) persistent_fail(s, persistent_[s]);
  }
  io_.poll();
  tell(LiveRunEvent::Kind::stopping);
  stop_servers();
  for (auto& p : proxies_) {
    counters_.peer_deliveries += p->delivered();
    counters_.peer_dropped += p->dropped();
    p->stop();
  }
  io_.poll();

  counters_.observations = replay(*metrics_, end_ns);
  counters_.wall_seconds =
      std::chrono::duration<double>(SteadyClock::now() - wall_start).count();
  LiveOutcome outcome;
  outcome.metrics = std::move(metrics_);
  outcome.faults = faults_;
  outcome.counters = counters_;
  return outcome;
}

}  // namespace live_run

LiveOutcome run_live(const Scenario& scenario, const HerdLayout& layout,
                     const LiveRunOptions& options) {
  live_run::LiveRun run(scenario, layout, options);
  return run.run();
}

}  // namespace herd::sim
