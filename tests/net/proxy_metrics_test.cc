#include "net/proxy_metrics.h"

#include <catch2/catch.hpp>

#include <prometheus/text_serializer.h>

namespace prisn::net {
namespace {

TEST_CASE("ProxyMetricFamilies sums services by protocol without service labels") {
  ServiceStats web{.key = "default/web", .http = true, .requests = 10, .errors = 2, .active = 1,
                   .p50_ms = 1, .p99_ms = 40, .upstreams = {}};
  web.upstreams.push_back(UpstreamStats{"web-0", true, 6, 1, 1});
  web.upstreams.push_back(UpstreamStats{"web-1", false, 4, 0, 0});
  ServiceStats db{.key = "default/db", .http = false, .requests = 5, .errors = 0, .active = 2,
                  .p50_ms = 1, .p99_ms = 3, .upstreams = {}};
  db.upstreams.push_back(UpstreamStats{"db-0", true, 5, 2, 2});
  std::string text = prometheus::TextSerializer().Serialize(ProxyMetricFamilies({web, db}));
  CHECK(text.find("prisn_proxy_requests_total{protocol=\"http\"} 10") != std::string::npos);
  CHECK(text.find("prisn_proxy_requests_total{protocol=\"tcp\"} 5") != std::string::npos);
  CHECK(text.find("prisn_proxy_errors_total{protocol=\"http\"} 2") != std::string::npos);
  CHECK(text.find("prisn_proxy_upstreams{state=\"in_pool\"} 2") != std::string::npos);
  CHECK(text.find("prisn_proxy_upstreams{state=\"out\"} 1") != std::string::npos);
  CHECK(text.find("prisn_proxy_upstream_failures_total 3") != std::string::npos);
  CHECK(text.find("prisn_proxy_latency_p99_seconds_max 0.04") != std::string::npos);
  CHECK(text.find("default/web") == std::string::npos);
}

TEST_CASE("ProxyMetricFamilies with no services reports zeros for both protocols") {
  std::string text = prometheus::TextSerializer().Serialize(ProxyMetricFamilies({}));
  CHECK(text.find("prisn_proxy_requests_total{protocol=\"http\"} 0") != std::string::npos);
  CHECK(text.find("prisn_proxy_requests_total{protocol=\"tcp\"} 0") != std::string::npos);
}

}  // namespace
}  // namespace prisn::net
