#pragma once
// A minimal blocking HTTP/1.1 client for the daemon's own commands
// (`prisn server status`) talking to a daemon on this host.

#include <chrono>
#include <string>

#include "util/error.h"

namespace prisn::server {

struct ClientResponse {
  int status = 0;
  std::string body;
};

// GET `base_url` + `target` ("http://127.0.0.1:7373" + "/health"), with a
// bearer token when non-empty. kUnavailable when nothing answers, kTimeout
// past `timeout`, kInvalid for a URL that is not http://HOST:PORT.
Result<ClientResponse> HttpGet(const std::string& base_url, const std::string& target,
                               const std::string& token,
                               std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace prisn::server
