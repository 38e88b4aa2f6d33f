#include "net/dns_zone.h"

#include <catch2/catch.hpp>

namespace prisn::net {
namespace {

dns::Query Ask(const std::string& name, std::uint16_t type, std::uint16_t qclass = dns::kClassIn) {
  dns::Query q;
  q.id = 1;
  std::size_t start = 0;
  while (start < name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.question.labels.push_back(name.substr(start, dot - start));
    start = dot + 1;
  }
  q.question.type = type;
  q.question.qclass = qclass;
  return q;
}

DnsZone TestZone() {
  return DnsZone("prisn.local", 5, 7,
                 {{"api", "default", "127.77.0.2", 8080, true},
                  {"db", "data", "127.77.0.3", 5432, false},
                  {"Bad_Name", "default", "127.77.0.4", 80, false},
                  {"noaddr", "default", "not-an-ip", 80, false},
                  {"noport", "default", "127.77.0.5", 0, false}});
}

std::vector<std::uint8_t> Ipv4Bytes(std::uint8_t a, std::uint8_t b, std::uint8_t c,
                                    std::uint8_t d) {
  return {a, b, c, d};
}

}  // namespace

TEST_CASE("DnsZone: invalid services are left out") { CHECK(TestZone().size() == 2); }

TEST_CASE("DnsZone: names outside the zone are not answered") {
  auto zone = TestZone();
  CHECK_FALSE(zone.Answer(Ask("example.com", dns::rtype::kA)));
  CHECK_FALSE(zone.Answer(Ask("local", dns::rtype::kA)));
  CHECK_FALSE(zone.Answer(Ask("api.default.prisn.localhost", dns::rtype::kA)));
  CHECK_FALSE(zone.Answer(Ask("", dns::rtype::kNs)));
}

TEST_CASE("DnsZone: NAME.NS A answers the service address, case-insensitively") {
  auto zone = TestZone();
  auto r = zone.Answer(Ask("API.Default.Prisn.Local", dns::rtype::kA));
  REQUIRE(r);
  CHECK(r->rcode == dns::Rcode::kNoError);
  CHECK(r->authoritative);
  REQUIRE(r->answers.size() == 1);
  CHECK(r->answers[0].name == "API.Default.Prisn.Local");
  CHECK(r->answers[0].type == dns::rtype::kA);
  CHECK(r->answers[0].ttl == 5);
  CHECK(r->answers[0].rdata == Ipv4Bytes(127, 77, 0, 2));
}

TEST_CASE("DnsZone: SRV answers follow the service's protocol with the A record additional") {
  auto zone = TestZone();
  auto http = zone.Answer(Ask("_http._tcp.api.default.prisn.local", dns::rtype::kSrv));
  REQUIRE(http);
  REQUIRE(http->answers.size() == 1);
  CHECK(http->answers[0].type == dns::rtype::kSrv);
  const auto& rd = http->answers[0].rdata;
  CHECK(((rd[4] << 8) | rd[5]) == 8080);
  REQUIRE(http->additional.size() == 1);
  CHECK(http->additional[0].name == "api.default.prisn.local");
  CHECK(http->additional[0].rdata == Ipv4Bytes(127, 77, 0, 2));

  auto tcp = zone.Answer(Ask("_tcp._tcp.db.data.prisn.local", dns::rtype::kSrv));
  REQUIRE(tcp);
  REQUIRE(tcp->answers.size() == 1);
  CHECK(((tcp->answers[0].rdata[4] << 8) | tcp->answers[0].rdata[5]) == 5432);

  auto wrong = zone.Answer(Ask("_http._tcp.db.data.prisn.local", dns::rtype::kSrv));
  REQUIRE(wrong);
  CHECK(wrong->rcode == dns::Rcode::kNxDomain);
}

TEST_CASE("DnsZone: other types at existing names give NOERROR without answers and an SOA") {
  auto zone = TestZone();
  for (auto [name, type] : std::vector<std::pair<std::string, std::uint16_t>>{
           {"api.default.prisn.local", dns::rtype::kAaaa},
           {"api.default.prisn.local", dns::rtype::kSrv},
           {"_http._tcp.api.default.prisn.local", dns::rtype::kA},
           {"_tcp.api.default.prisn.local", dns::rtype::kSrv},
           {"default.prisn.local", dns::rtype::kA},
           {"prisn.local", dns::rtype::kA}}) {
    INFO(name << " type " << type);
    auto r = zone.Answer(Ask(name, type));
    REQUIRE(r);
    CHECK(r->rcode == dns::Rcode::kNoError);
    CHECK(r->answers.empty());
    REQUIRE(r->authority.size() == 1);
    CHECK(r->authority[0].type == dns::rtype::kSoa);
    CHECK(r->authority[0].name == "prisn.local");
  }
}

TEST_CASE("DnsZone: unknown names in the zone are NXDOMAIN with an SOA") {
  auto zone = TestZone();
  for (const std::string name :
       {"nope.default.prisn.local", "api.other.prisn.local", "other.prisn.local",
        "x.api.default.prisn.local", "a.b.c.d.e.prisn.local", "bad_name.default.prisn.local",
        "noaddr.default.prisn.local"}) {
    INFO(name);
    auto r = zone.Answer(Ask(name, dns::rtype::kA));
    REQUIRE(r);
    CHECK(r->rcode == dns::Rcode::kNxDomain);
    CHECK(r->authoritative);
    REQUIRE(r->authority.size() == 1);
    CHECK(r->authority[0].type == dns::rtype::kSoa);
  }
}

TEST_CASE("DnsZone: the apex answers its SOA and transfers and other classes are refused") {
  auto zone = TestZone();
  auto soa = zone.Answer(Ask("prisn.local", dns::rtype::kSoa));
  REQUIRE(soa);
  REQUIRE(soa->answers.size() == 1);
  CHECK(soa->answers[0].type == dns::rtype::kSoa);
  auto axfr = zone.Answer(Ask("prisn.local", dns::rtype::kAxfr));
  REQUIRE(axfr);
  CHECK(axfr->rcode == dns::Rcode::kRefused);
  auto chaos = zone.Answer(Ask("api.default.prisn.local", dns::rtype::kA, 3));
  REQUIRE(chaos);
  CHECK(chaos->rcode == dns::Rcode::kRefused);
}

TEST_CASE("DnsZone: another zone name is honoured, trailing dot and case ignored") {
  DnsZone zone("Cluster.Test.", 30, 1, {{"web", "prod", "127.90.0.2", 80, true}});
  auto r = zone.Answer(Ask("web.prod.cluster.test", dns::rtype::kA));
  REQUIRE(r);
  REQUIRE(r->answers.size() == 1);
  CHECK(r->answers[0].ttl == 30);
  CHECK_FALSE(zone.Answer(Ask("web.prod.prisn.local", dns::rtype::kA)));
}

}  // namespace prisn::net
