#include "propagation_probe.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace herd::bench {

struct PropagationProbe::Channel {
  explicit Channel(const Target& server, tcp::socket connected)
      : target(server), socket(std::move(connected)), lines(socket, target) {}
  const Target& target;
  tcp::socket socket;
  SocketLineReader lines;
  WhatsatReplyParser whatsat;
};

// One update in flight: what was sent and when each server was first seen holding it.
struct PropagationProbe::Sample {
  std::string operands;
  std::string origin_at_line;
  Clock::time_point sent_at;
  Clock::time_point give_up_at;
  std::vector<std::optional<Clock::time_point>> held_at;  // by channel
  std::vector<std::string> at_lines;                      // what each server returned
};

PropagationProbe::PropagationProbe(asio::io_context& io, std::vector<Target> targets,
                                   PropagationOptions options)
    : io_(io), targets_(std::move(targets)), options_(std::move(options)), nonce_(run_nonce()) {}

PropagationProbe::~PropagationProbe() = default;

void PropagationProbe::start() {
  asio::co_spawn(io_, run(), [this](const std::exception_ptr& error) {
    if (error) {
      result_.failed = true;
      note_error(describe(error));
    }
    finished_ = true;
  });
}

void PropagationProbe::abort() {
  result_.failed = true;
  note_error("aborted: the run exceeded its time limit");
  for (auto& channel : channels_) {
    boost::system::error_code ignored;
    channel->socket.close(ignored);
  }
}

void PropagationProbe::note_error(const std::string& what) {
  if (result_.first_error.empty()) result_.first_error = what;
}

asio::awaitable<void> PropagationProbe::run() {
  for (const Target& target : targets_) {
    channels_.push_back(std::make_unique<Channel>(target, co_await connect_to(target)));
  }
  const Clock::time_point deadline = Clock::now() + options_.max_time;
  asio::steady_timer gap(io_);
  for (std::size_t i = 0; i < options_.samples && Clock::now() < deadline; ++i) {
    co_await one_sample(i);
    if (result_.failed) break;
    gap.expires_after(options_.gap);
    co_await gap.async_wait(asio::use_awaitable);
  }
  for (auto& channel : channels_) {
    boost::system::error_code ignored;
    channel->socket.shutdown(tcp::socket::shutdown_send, ignored);
    channel->socket.close(ignored);
  }
}

asio::awaitable<void> PropagationProbe::one_sample(std::size_t index) {
  const std::size_t origin = index % channels_.size();
  IamatSource iamat(options_.client_prefix + "-" + nonce_ + "-" + std::to_string(index),
                    options_.coords);
  Sample sample;
  sample.operands = iamat.next_operands();
  sample.held_at.assign(channels_.size(), std::nullopt);
  sample.at_lines.assign(channels_.size(), std::string());
  const std::string command = "IAMAT " + sample.operands + "\n";

  sample.sent_at = Clock::now();
  sample.give_up_at = sample.sent_at + options_.sample_timeout;
  ++result_.samples;
  co_await write_to(channels_[origin]->socket, channels_[origin]->target, command);

  // The origin's reply and the polls of every other server run at once.
  JoinCounter joined(io_.get_executor(), channels_.size());
  auto finish = [this, &joined](const std::exception_ptr& error) {
    if (error) {
      result_.failed = true;
      note_error(describe(error));
    }
    joined.done();
  };
  asio::co_spawn(io_, await_iamat_reply(*channels_[origin], sample, origin), finish);
  for (std::size_t c = 0; c < channels_.size(); ++c) {
    if (c != origin) asio::co_spawn(io_, poll_until_held(*channels_[c], sample, c), finish);
  }
  co_await joined.wait();

  Clock::time_point last = sample.sent_at;
  bool complete = true;
  for (std::size_t c = 0; c < channels_.size(); ++c) {
    if (!sample.held_at[c]) {
      complete = false;
      continue;
    }
    last = std::max(last, *sample.held_at[c]);
    if (c == origin) continue;
    result_.to_each.add((*sample.held_at[c] - sample.sent_at).count());
    // Every server must return the AT line exactly as the origin sent it to its client.
    if (!sample.origin_at_line.empty() && sample.at_lines[c] != sample.origin_at_line) {
      ++result_.invalid;
      note_error(channels_[c]->target.name + " stored \"" + sample.at_lines[c] +
                 "\" but the origin replied \"" + sample.origin_at_line + "\"");
    }
  }
  if (complete) {
    result_.to_last.add((last - sample.sent_at).count());
  } else if (!result_.failed) {
    ++result_.lost;
    note_error("update " + sample.operands + " did not reach every server within the timeout");
  }
}

asio::awaitable<void> PropagationProbe::await_iamat_reply(Channel& origin, Sample& sample,
                                                          std::size_t slot) {
  const std::string_view line = co_await origin.lines.read_line();
  if (!is_at_reply(line, origin.target.name, sample.operands)) {
    ++result_.invalid;
    note_error("bad reply from " + origin.target.name + " to IAMAT " + sample.operands + ": " +
               std::string(line));
    co_return;
  }
  sample.origin_at_line.assign(line);
  sample.held_at[slot] = Clock::now();
}

asio::awaitable<void> PropagationProbe::poll_until_held(Channel& channel, Sample& sample,
                                                        std::size_t slot) {
  const std::string client = sample.operands.substr(0, sample.operands.find(' '));
  const std::string command = "WHATSAT " + client + " 1 1\n";
  asio::steady_timer pause(io_);
  for (bool first = true; Clock::now() < sample.give_up_at; first = false) {
    if (!first && options_.poll_interval > Clock::duration::zero()) {
      pause.expires_after(options_.poll_interval);
      co_await pause.async_wait(asio::use_awaitable);
    }
    const Clock::time_point asked_at = Clock::now();
    co_await write_to(channel.socket, channel.target, command);
    std::optional<WhatsatReplyParser::Reply> reply;
    while (!reply) reply = channel.whatsat.feed(co_await channel.lines.read_line());
    ++result_.polls;
    result_.poll_rtt.add((Clock::now() - asked_at).count());
    switch (reply->outcome) {
      case WhatsatReplyParser::Outcome::unknown_client:
        continue;  // not there yet: ask again
      case WhatsatReplyParser::Outcome::found:
        if (!is_at_line_for(reply->at_line, sample.operands)) {
          ++result_.invalid;
          note_error(channel.target.name + " answered WHATSAT " + client + " with \"" +
                     reply->at_line + "\"");
        }
        sample.at_lines[slot] = std::move(reply->at_line);
        sample.held_at[slot] = Clock::now();
        co_return;
      case WhatsatReplyParser::Outcome::malformed:
        throw std::runtime_error("malformed WHATSAT reply from " + channel.target.name);
    }
  }
}

}  // namespace herd::bench
