#pragma once
// Requests and responses as the API handlers see them: plain values, no
// Beast types, so that handlers can be called (and tested) without sockets.
// Also the error body every endpoint answers with (docs/API.md "Errors").

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace prisn::server {

struct HttpRequest {
  std::string method;                        // "GET"
  std::string path;                          // percent-decoded, no query: "/v1/objects"
  std::map<std::string, std::string> query;  // decoded; a repeated key keeps the last
  std::string body;
  // Lower-case names; filled only for routes that read headers (webhooks).
  std::map<std::string, std::string> headers;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string route = "none";  // the route pattern that answered: a metrics label
};

HttpResponse JsonResponse(int status, const nlohmann::json& body);
HttpResponse JsonResponse(int status, const nlohmann::ordered_json& body);

// {"error": {"code", "message", "details"}} with the status of `code`.
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message,
                           nlohmann::json details = nlohmann::json::array());
// The status and code that an Error's ErrorCode maps to (docs/API.md).
HttpResponse ErrorResponse(const Error& error, nlohmann::json details = nlohmann::json::array());

// Splits "/v1/x?a=1&b=%20" into a decoded path and query. kInvalid on bad
// percent-escapes or a path that does not start with '/'.
Status ParseTarget(std::string_view target, HttpRequest& out);

}  // namespace prisn::server
