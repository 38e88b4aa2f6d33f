#pragma once
// Completion tokens shared by the proxy's coroutines.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace prisn::net {

// co_await returns (error_code, result...) instead of throwing: a failed
// upstream is an outcome to handle, not an exception.
inline constexpr auto kNoThrow = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace prisn::net
