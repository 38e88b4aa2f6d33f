#pragma once
// The daemon's own answers: GET /health, GET /v1/state, and the error body
// every route answers with (docs/API.md "Errors").

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "api/codec.h"

namespace prisn::api {

struct Health {
  std::string status;  // "ok"
  std::string version;
  int64_t pid = 0;
  std::string started_at;  // RFC 3339
  double uptime_seconds = 0;
};
constexpr auto Fields(std::type_identity<Health>) {
  return std::tuple{Field{"status", &Health::status}, Field{"version", &Health::version},
                    Field{"pid", &Health::pid}, Field{"startedAt", &Health::started_at},
                    Field{"uptimeSeconds", &Health::uptime_seconds}};
}

// GET /health with status 503: the store fails, so nothing answers right.
struct HealthFailing {
  std::string status;  // "failing"
  std::string store;   // what the store check said
  std::string version;
  int64_t pid = 0;
};
constexpr auto Fields(std::type_identity<HealthFailing>) {
  return std::tuple{Field{"status", &HealthFailing::status}, Field{"store", &HealthFailing::store},
                    Field{"version", &HealthFailing::version}, Field{"pid", &HealthFailing::pid}};
}

struct StateSummary {
  int64_t index = 0;                       // the state index: bumps on every change
  std::map<std::string, int64_t> objects;  // by kind, the caller's namespaces only
  int64_t total = 0;
};
constexpr auto Fields(std::type_identity<StateSummary>) {
  return std::tuple{Field{"index", &StateSummary::index}, Field{"objects", &StateSummary::objects},
                    Field{"total", &StateSummary::total}};
}

// {"error": {"code", "message", "details"}}; code is ErrorCodeName's word or
// one of "unauthenticated", "method_not_allowed", "too_large".
struct ErrorInfo {
  std::string code;
  std::string message;
  Json details;
};
constexpr auto Fields(std::type_identity<ErrorInfo>) {
  return std::tuple{Field{"code", &ErrorInfo::code}, Field{"message", &ErrorInfo::message},
                    Field{"details", &ErrorInfo::details}};
}
struct ErrorBody {
  ErrorInfo error;
};
constexpr auto Fields(std::type_identity<ErrorBody>) {
  return std::tuple{Field{"error", &ErrorBody::error}};
}

}  // namespace prisn::api
