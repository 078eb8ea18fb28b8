#include "herd/core/peer_line_memo.hpp"

#include <charconv>
#include <cstring>

namespace herd::core {
namespace {

PeerLineMemo::Field field_in(std::string_view line, std::string_view field) noexcept {
  return {static_cast<std::uint8_t>(field.data() - line.data()),
          static_cast<std::uint8_t>(field.size())};
}

std::string_view view_of(std::string_view line, PeerLineMemo::Field field) noexcept {
  return line.substr(field.at, field.size);
}

}  // namespace

std::optional<PeerLineMemo> PeerLineMemo::of_bytes(std::string_view bytes) noexcept {
  if (bytes.empty() || bytes.back() != '\n') return std::nullopt;
  std::string_view line = bytes.substr(0, bytes.size() - 1);
  if (line.find('\n') != std::string_view::npos) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return of_line(line);
}

std::optional<PeerLineMemo> PeerLineMemo::of_line(std::string_view line) noexcept {
  if (line.size() > kMaxLine) return std::nullopt;
  auto parsed = split_peer_update(line);
  if (!parsed || !check_peer_update_values(*parsed)) return std::nullopt;
  PeerLineMemo memo;
  memo.id = update_id(parsed->at_line);
  memo.client_time_ns = parsed->client_time_ns;
  memo.position = parsed->position;
  memo.hops = parsed->hops;
  memo.line_size = static_cast<std::uint8_t>(line.size());
  memo.at_line = field_in(line, parsed->at_line);
  memo.origin = field_in(line, parsed->origin);
  memo.diff = field_in(line, parsed->diff);
  memo.client = field_in(line, parsed->client);
  memo.coords = field_in(line, parsed->coords);
  memo.client_time = field_in(line, parsed->client_time);
  return memo;
}

std::optional<PeerLineMemo> PeerLineMemo::of_forward(std::string_view bytes,
                                                     const LocationUpdate& update,
                                                     std::uint64_t id,
                                                     std::uint32_t hops) noexcept {
  const std::string_view at = update.at_line.view();
  char tail[16];
  tail[0] = ' ';
  char* end = std::to_chars(tail + 1, tail + sizeof tail - 1, hops).ptr;
  *end++ = '\n';
  const std::string_view hops_tail(tail, static_cast<std::size_t>(end - tail));
  if (bytes.size() != at.size() + hops_tail.size() || bytes.size() - 1 > kMaxLine ||
      !bytes.starts_with(at) || !bytes.ends_with(hops_tail)) {
    return std::nullopt;
  }
  const std::string_view line = bytes.substr(0, bytes.size() - 1);
  // The fields' views point into update.at_line, which `line` starts with.
  auto field = [&](std::string_view f) {
    return Field{static_cast<std::uint8_t>(f.data() - at.data()),
                 static_cast<std::uint8_t>(f.size())};
  };
  PeerLineMemo memo;
  memo.id = id;
  memo.client_time_ns = update.client_time_ns;
  memo.position = update.position;
  memo.hops = hops;
  memo.line_size = static_cast<std::uint8_t>(line.size());
  memo.at_line = Field{0, static_cast<std::uint8_t>(at.size())};
  memo.origin = field(update.origin);
  memo.diff = field(update.diff);
  memo.client = field(update.client);
  memo.coords = field(update.coords);
  memo.client_time = field(update.client_time);
  return memo;
}

bool PeerLineMemo::same_as(const PeerLineMemo& o) const noexcept {
  auto same_field = [](Field a, Field b) { return a.at == b.at && a.size == b.size; };
  return id == o.id && client_time_ns == o.client_time_ns &&
         std::memcmp(&position.lat_deg, &o.position.lat_deg, sizeof(double)) == 0 &&
         std::memcmp(&position.lng_deg, &o.position.lng_deg, sizeof(double)) == 0 &&
         hops == o.hops && line_size == o.line_size && same_field(at_line, o.at_line) &&
         same_field(origin, o.origin) && same_field(diff, o.diff) &&
         same_field(client, o.client) && same_field(coords, o.coords) &&
         same_field(client_time, o.client_time);
}

PeerUpdate PeerLineMemo::update(std::string_view line) const noexcept {
  PeerUpdate u;
  u.at_line = view_of(line, at_line);
  u.origin = view_of(line, origin);
  u.diff = view_of(line, diff);
  u.client = view_of(line, client);
  u.coords = view_of(line, coords);
  u.client_time = view_of(line, client_time);
  u.position = position;
  u.client_time_ns = client_time_ns;
  u.hops = hops;
  return u;
}

}  // namespace herd::core
