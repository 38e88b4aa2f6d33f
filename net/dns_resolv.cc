#include "net/dns_resolv.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <sstream>

namespace prisn::net {
namespace {

bool IsAddress(const std::string& text) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(text, ec);
  return !ec;
}

}  // namespace

std::string ResolvConfFor(const std::string& dns_address,
                          const std::vector<std::string>& search_domains) {
  std::string out =
      "# Written by prisn: names under prisn.local are answered by prisn, "
      "other names are forwarded to the host's resolvers.\n";
  out += fmt::format("nameserver {}\n", dns_address);
  if (!search_domains.empty()) out += fmt::format("search {}\n", fmt::join(search_domains, " "));
  out += "options ndots:2 timeout:2 attempts:2\n";
  return out;
}

std::vector<std::string> NameserversFromResolvConf(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string keyword, address;
    if (!(words >> keyword) || keyword != "nameserver" || !(words >> address)) continue;
    // An IPv6 link-local address may carry a zone ("fe80::1%eth0"); Asio
    // accepts it as written.
    if (IsAddress(address)) out.push_back(address);
  }
  return out;
}

Result<DnsUpstream> ParseDnsUpstream(const std::string& text) {
  auto invalid = [&] {
    return Fail(ErrorCode::kInvalid, "an upstream is IP or IP:PORT ([IPv6]:PORT with a port)",
                text);
  };
  DnsUpstream u;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) return invalid();
    u.address = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return invalid();
      port_text = text.substr(close + 2);
      if (port_text.empty()) return invalid();
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const auto colon = text.find(':');
    u.address = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (port_text.empty()) return invalid();
  } else {
    u.address = text;
  }
  if (!port_text.empty()) {
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), u.port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || u.port < 1 ||
        u.port > 65535)
      return invalid();
  }
  if (!IsAddress(u.address)) return invalid();
  return u;
}

}  // namespace prisn::net
