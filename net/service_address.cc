#include "net/service_address.h"

#include <charconv>

#include <fmt/format.h>

namespace prisn::net {
Result<std::uint32_t> ParseIpv4(const std::string& text) {
  std::uint32_t value = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 4; ++i) {
    unsigned octet = 0;
    auto [next, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc{} || next == p || octet > 255 || next - p > 3)
      return Fail(ErrorCode::kInvalid, "not an IPv4 address", text);
    value = (value << 8) | octet;
    p = next;
    if (i < 3) {
      if (p == end || *p != '.') return Fail(ErrorCode::kInvalid, "not an IPv4 address", text);
      ++p;
    }
  }
  if (p != end) return Fail(ErrorCode::kInvalid, "not an IPv4 address", text);
  return value;
}

std::string FormatIpv4(std::uint32_t v) {
  return fmt::format("{}.{}.{}.{}", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

Result<std::uint32_t> ParseServiceRange(const std::string& base) {
  auto v = ParseIpv4(base);
  const auto second = v ? (*v >> 16) & 0xffu : 0;
  if (!v || (*v >> 24) != 127 || (*v & 0xffffu) != 0 || second == 0 || second == 255)
    return Fail(ErrorCode::kInvalid, "a service range is 127.N.0.0 with N from 1 to 254",
                base);
  return *v;
}

std::string DnsAddress(std::uint32_t range_base) { return FormatIpv4(range_base | 1u); }

Result<std::string> NextServiceAddress(std::uint32_t range_base,
                                       const std::set<std::string>& taken) {
  std::set<std::uint32_t> used;
  for (const auto& a : taken)
    if (auto v = ParseIpv4(a)) used.insert(*v);
  used.insert(range_base | 1u);
  const std::uint32_t last = range_base | 0xffffu;
  for (std::uint32_t v = range_base + 1; v < last; ++v) {
    const auto low = v & 0xffu;
    if (low == 0 || low == 255) continue;
    if (!used.contains(v)) return FormatIpv4(v);
  }
  return Fail(ErrorCode::kConflict, fmt::format("no service address left in {}/16", FormatIpv4(range_base)),
              "delete Deployments with a port you no longer need");
}

}  // namespace prisn::net
