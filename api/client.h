#pragma once
// The CLI's HTTP client for the daemon's API (docs/API.md). One ApiClient per
// command: it keeps one HttpClient, so consecutive requests reuse the
// connection.
//
// Every call returns the decoded JSON body of a 2xx answer (null for an empty
// body) or an Error:
//   - the server's error body `{"error": {"code", "message", "details"}}`
//     becomes an Error with that code and message; details() keeps the rest;
//   - nobody listening → kUnavailable, "no prisn server answers at URL; start
//     one with `prisn server start` (or set PRISN_SERVER)";
//   - a timeout → kTimeout; a body that is not JSON → kInternal.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/codec.h"
#include "api/context.h"
#include "api/http_client.h"
#include "api/routes.h"
#include "util/error.h"

namespace prisn::api {

// A daemon's answer read as its API type, leniently (fields a newer daemon
// added are skipped). kInternal when the answer does not fit. The CLI keeps
// the raw answer for `-o json`, so nothing the daemon sent is lost there.
template <typename T>
Result<T> DecodeAnswer(const Json& answer) {
  auto out = Decode<T>(answer, DecodeMode::kLenient);
  if (!out)
    return Fail(ErrorCode::kInternal, "the server's answer does not fit: " + out.error().message);
  return out;
}

class ApiClient {
 public:
  explicit ApiClient(Connection connection);

  // `path` starts with '/', e.g. "/v1/namespaces/default/deployments"; query
  // values must be encoded with UrlEncode.
  Result<nlohmann::ordered_json> Get(std::string_view path);
  Result<nlohmann::ordered_json> Post(std::string_view path, const nlohmann::ordered_json& body);
  Result<nlohmann::ordered_json> Put(std::string_view path, const nlohmann::ordered_json& body);
  Result<nlohmann::ordered_json> Delete(std::string_view path,
                                        const nlohmann::ordered_json& body = nullptr);

  // The same calls, decoding the answer into an API type (leniently: fields
  // a newer daemon adds are skipped). kInternal when the answer does not fit.
  template <typename T>
  Result<T> Get(std::string_view path) {
    return Typed<T>(Get(path), path);
  }
  template <typename T, typename Body>
  Result<T> Post(std::string_view path, const Body& body) {
    return Typed<T>(Post(path, Encode(body)), path);
  }

  const Connection& connection() const { return connection_; }
  // The "details" member of the last error answer (null when there was none).
  const nlohmann::ordered_json& details() const { return details_; }

 private:
  template <typename T>
  static Result<T> Typed(Result<Json> answer, std::string_view path) {
    if (!answer) return std::unexpected(answer.error());
    auto out = DecodeAnswer<T>(*answer);
    if (!out) out.error().context = std::string(path);
    return out;
  }
  Result<nlohmann::ordered_json> Send(const char* method, std::string_view path,
                                      const nlohmann::ordered_json& body);

  Connection connection_;
  HttpClient http_;
  nlohmann::ordered_json details_;
};

// The Error for a non-2xx answer: the code and message of the server's error
// body when it has one, else one derived from the HTTP status.
Error ErrorFromResponse(long status, std::string_view body);

}  // namespace prisn::api
