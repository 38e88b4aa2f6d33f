#include "net/dns_zone.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "net/service_address.h"

namespace prisn::net {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsLabel(const std::string& s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::vector<std::string> Split(const std::string& name) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    if (dot > start) out.push_back(name.substr(start, dot - start));
    start = dot + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string>& labels) {
  std::string out;
  for (const auto& l : labels) {
    if (!out.empty()) out += '.';
    out += l;
  }
  return out;
}

}  // namespace

DnsZone::DnsZone(std::string zone, std::uint32_t ttl, std::uint32_t serial,
                 const std::vector<DnsService>& services)
    : zone_(Lower(std::move(zone))), ttl_(ttl), serial_(serial) {
  while (!zone_.empty() && zone_.back() == '.') zone_.pop_back();
  zone_labels_ = Split(zone_);
  for (const auto& s : services) {
    const auto name = Lower(s.name);
    const auto ns = Lower(s.ns);
    auto address = ParseIpv4(s.address);
    // The longest owner, _http._tcp.NAME.NS.ZONE, must fit in 253 characters.
    const bool fits = name.size() + ns.size() + zone_.size() + 13 <= 253;
    if (!IsLabel(name) || !IsLabel(ns) || !address || s.port < 1 || s.port > 65535 || !fits) {
      spdlog::warn(
          "dns: leaving out service {}.{} (address '{}', port {}): not a valid name, "
          "address or port",
          s.name, s.ns, s.address, s.port);
      continue;
    }
    services_[name + "." + ns] = Entry{*address, static_cast<std::uint16_t>(s.port), s.http};
    namespaces_.insert(ns);
  }
}

dns::Response DnsZone::Negative(dns::Rcode rcode) const {
  dns::Response r;
  r.rcode = rcode;
  r.authoritative = true;
  r.authority.push_back(dns::MakeSoa(zone_, serial_, ttl_));
  return r;
}

std::optional<dns::Response> DnsZone::Answer(const dns::Query& query) const {
  const auto& q = query.question;
  const auto n = q.labels.size();
  const auto k = zone_labels_.size();
  if (n < k) return std::nullopt;
  std::vector<std::string> relative;
  for (std::size_t i = 0; i < n; ++i) {
    auto label = Lower(q.labels[i]);
    if (i >= n - k) {
      if (label != zone_labels_[i - (n - k)]) return std::nullopt;
    } else {
      relative.push_back(std::move(label));
    }
  }
  if ((q.qclass != dns::kClassIn && q.qclass != dns::kClassAny) || q.type == dns::rtype::kAxfr ||
      q.type == dns::rtype::kIxfr) {
    dns::Response refused;
    refused.rcode = dns::Rcode::kRefused;
    return refused;
  }
  switch (relative.size()) {
    case 0: {
      if (q.type != dns::rtype::kSoa && q.type != dns::rtype::kAny)
        return Negative(dns::Rcode::kNoError);
      dns::Response r;
      r.authoritative = true;
      r.answers.push_back(dns::MakeSoa(zone_, serial_, ttl_));
      return r;
    }
    case 1:
      return Negative(namespaces_.contains(relative[0]) ? dns::Rcode::kNoError
                                                        : dns::Rcode::kNxDomain);
    case 2:
    case 4:
      return ForService(query, relative);
    case 3:
      return Negative(relative[0] == "_tcp" && services_.contains(relative[1] + "." + relative[2])
                          ? dns::Rcode::kNoError
                          : dns::Rcode::kNxDomain);
    default:
      return Negative(dns::Rcode::kNxDomain);
  }
}

dns::Response DnsZone::ForService(const dns::Query& query,
                                  const std::vector<std::string>& relative) const {
  const bool srv_name = relative.size() == 4;
  const auto& name = relative[srv_name ? 2 : 0];
  const auto& ns = relative[srv_name ? 3 : 1];
  auto it = services_.find(name + "." + ns);
  if (it == services_.end()) return Negative(dns::Rcode::kNxDomain);
  const Entry& e = it->second;
  const auto type = query.question.type;
  const auto owner = Join(query.question.labels);
  const auto target = name + "." + ns + "." + zone_;
  dns::Response r;
  r.authoritative = true;
  if (!srv_name) {
    if (type != dns::rtype::kA && type != dns::rtype::kAny) return Negative(dns::Rcode::kNoError);
    r.answers.push_back(dns::MakeA(owner, e.address, ttl_));
    return r;
  }
  if (relative[1] != "_tcp" || relative[0] != (e.http ? "_http" : "_tcp"))
    return Negative(dns::Rcode::kNxDomain);
  if (type != dns::rtype::kSrv && type != dns::rtype::kAny) return Negative(dns::Rcode::kNoError);
  r.answers.push_back(dns::MakeSrv(owner, 0, 0, e.port, target, ttl_));
  r.additional.push_back(dns::MakeA(target, e.address, ttl_));
  return r;
}

}  // namespace prisn::net
