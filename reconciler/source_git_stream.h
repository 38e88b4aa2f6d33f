#pragma once
// Deadlines for libgit2's network connections. libgit2 1.5 (Debian 12) has
// no connect or read timeout (GIT_OPT_SET_SERVER_TIMEOUT came in 1.7): a
// remote that accepts a connection and never answers holds a fetch, and the
// thread running it, forever. So prisn registers its own plain socket stream
// with libgit2 (every transport opens its sockets through it: git://, http,
// https under TLS, ssh under libssh2), and a FetchDeadline bounds every
// socket opened on its thread:
//   - connect: non-blocking, given up after the connect limit;
//   - total: a watchdog thread shuts every socket of the fetch down
//     (shutdown(2)) at the deadline or when `cancel` is set, which wakes any
//     read or write blocked in libgit2, libssh2 or the TLS library at once.
// Name resolution (getaddrinfo) keeps the resolver's own timeouts
// (resolv.conf: 5 s per try by default).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "util/mutex.h"

namespace prisn::reconciler {

// Registers the stream with libgit2, once per process; call after
// git_libgit2_init. Sockets opened on a thread without a FetchDeadline get
// the default connect limit and no total deadline (libgit2's behaviour).
void InstallGitSocketStream();

// Bounds the connections the current thread opens while it lives. Not
// movable: streams keep a pointer to it, and must be freed before it (free
// the git_remote first).
class FetchDeadline {
 public:
  FetchDeadline(std::chrono::milliseconds connect, std::chrono::milliseconds total,
                const std::atomic<bool>* cancel);
  ~FetchDeadline();
  FetchDeadline(const FetchDeadline&) = delete;
  FetchDeadline& operator=(const FetchDeadline&) = delete;

  // The total deadline passed (the sockets were shut down).
  bool expired() const { return expired_.load(); }
  // A connection attempt ran out of its connect limit.
  bool connect_expired() const { return connect_expired_.load(); }

  // For the stream (source_git_stream.cc) only.
  static FetchDeadline* Current();
  std::chrono::steady_clock::time_point ConnectDeadline() const;
  bool Stopped() const;  // expired or cancelled: open nothing more
  void NoteConnectExpired() { connect_expired_ = true; }
  // false when the fetch is already stopped (the caller closes `fd`).
  bool Add(int fd);
  void Remove(int fd);

 private:
  void Watch();

  const std::chrono::milliseconds connect_;
  const std::chrono::steady_clock::time_point total_deadline_;
  const std::atomic<bool>* cancel_;
  FetchDeadline* previous_;  // the thread's deadline before this one
  std::atomic<bool> expired_{false};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> connect_expired_{false};
  Mutex mu_;
  CondVar wake_;
  std::set<int> fds_ PRISN_GUARDED_BY(mu_);  // open sockets of this fetch
  bool done_ PRISN_GUARDED_BY(mu_) = false;
  std::thread watchdog_;
};

}  // namespace prisn::reconciler
