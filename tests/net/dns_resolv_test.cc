#include "net/dns_resolv.h"

#include <catch2/catch.hpp>

namespace prisn::net {

TEST_CASE("ResolvConfFor: one nameserver, the search domains and ndots") {
  const auto text = ResolvConfFor("127.77.0.1", {"default.prisn.local", "prisn.local"});
  CHECK(text.find("nameserver 127.77.0.1\n") != std::string::npos);
  CHECK(text.find("search default.prisn.local prisn.local\n") != std::string::npos);
  CHECK(text.find("options ndots:2") != std::string::npos);
  CHECK(NameserversFromResolvConf(text) == std::vector<std::string>{"127.77.0.1"});
}

TEST_CASE("ResolvConfFor: no search domains, no search line") {
  CHECK(ResolvConfFor("127.77.0.1", {}).find("search") == std::string::npos);
}

TEST_CASE("NameserversFromResolvConf: keeps valid nameserver lines in order") {
  const auto text =
      "# comment nameserver 9.9.9.9\n"
      "domain example.com\n"
      "nameserver 10.0.0.1\n"
      "  nameserver\t::1  # trailing\n"
      "nameserver not-an-ip\n"
      "nameserver\n"
      "nameservers 1.1.1.1\n"
      "nameserver 10.0.0.2";
  CHECK(NameserversFromResolvConf(text) == std::vector<std::string>{"10.0.0.1", "::1", "10.0.0.2"});
}

TEST_CASE("ParseDnsUpstream: addresses with and without ports") {
  struct Case {
    std::string text;
    std::string address;
    int port;
  };
  for (const auto& c : std::vector<Case>{{"1.1.1.1", "1.1.1.1", 53},
                                         {"127.0.0.1:5353", "127.0.0.1", 5353},
                                         {"::1", "::1", 53},
                                         {"[::1]:54", "::1", 54},
                                         {"[2001:db8::1]", "2001:db8::1", 53}}) {
    INFO(c.text);
    auto u = ParseDnsUpstream(c.text);
    REQUIRE(u);
    CHECK(u->address == c.address);
    CHECK(u->port == c.port);
  }
}

TEST_CASE("ParseDnsUpstream: malformed upstreams are invalid") {
  for (const std::string text : {"", "1.1.1", "1.1.1.1:", "1.1.1.1:0", "1.1.1.1:65536",
                                 "1.1.1.1:53x", "[::1", "[::1]x", "[::1]:", "host.example:53"}) {
    INFO(text);
    auto u = ParseDnsUpstream(text);
    REQUIRE_FALSE(u);
    CHECK(u.error().code == ErrorCode::kInvalid);
  }
}

}  // namespace prisn::net
