#pragma once
// Service addresses: every Deployment with a port gets a loopback address of
// its own, so two services may both declare port 8080. The whole of
// 127.0.0.0/8 routes to lo on Linux, so binding these needs no setup.
//
// Addresses come from a /16 of 127.0.0.0/8 (default 127.77.0.0/16; the daemon
// takes another with --service-range, so daemons side by side do not collide).
// Its .0.1 is prisn's DNS server; the first service gets .0.2. The store keeps
// them, so a service keeps its address across daemon restarts and re-applies.

#include <cstdint>
#include <set>
#include <string>

#include "util/error.h"

namespace prisn::net {

inline constexpr const char* kDefaultServiceRange = "127.77.0.0";

// A range's base: "127.N.0.0" with N in 1..254 (N = 0 holds 127.0.0.1).
// kInvalid otherwise.
Result<std::uint32_t> ParseServiceRange(const std::string& base);
// The DNS server's address in a range: its .0.1.
std::string DnsAddress(std::uint32_t range_base);

// The lowest address of the range that is not in `taken` and not the DNS
// server's, .0 and .255 of each /24 skipped. kConflict when none is left.
Result<std::string> NextServiceAddress(std::uint32_t range_base,
                                       const std::set<std::string>& taken);

// "127.77.1.2" -> host-order value; kInvalid for anything else.
Result<std::uint32_t> ParseIpv4(const std::string& text);
std::string FormatIpv4(std::uint32_t host_order);

}  // namespace prisn::net
