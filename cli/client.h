#pragma once
// The CLI's HTTP client for the daemon's API (docs/API.md). One ApiClient per
// command: it keeps one net::HttpClient, so consecutive requests reuse the
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

#include "cli/context.h"
#include "net/http_client.h"
#include "util/error.h"

namespace prisn::cli {

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

  const Connection& connection() const { return connection_; }
  // The "details" member of the last error answer (null when there was none).
  const nlohmann::ordered_json& details() const { return details_; }

 private:
  Result<nlohmann::ordered_json> Send(const char* method, std::string_view path,
                                      const nlohmann::ordered_json& body);

  Connection connection_;
  net::HttpClient http_;
  nlohmann::ordered_json details_;
};

// Percent-encodes one path segment or query value (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view text);

// The Error for a non-2xx answer: the code and message of the server's error
// body when it has one, else one derived from the HTTP status.
Error ErrorFromResponse(long status, std::string_view body);

}  // namespace prisn::cli
