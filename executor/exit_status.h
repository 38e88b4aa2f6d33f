#pragma once
// How a workload ended, as prisn reports it.

#include <string>

namespace prisn::executor {

struct ExitStatus {
  int code = 0;             // the exit code; 128+N when signal N ended it (shell convention)
  int signal = 0;           // the signal that ended it; 0 when it exited by itself
  bool oom_killed = false;  // the kernel OOM killer killed a process of the run
  bool timed_out = false;   // a deadline passed and prisn stopped it

  bool Success() const { return code == 0 && signal == 0 && !oom_killed && !timed_out; }
  // "exit 0", "exit 3", "killed by SIGKILL (OOMKilled)", "killed by SIGTERM (timed out)".
  std::string ToString() const;
};

// From a raw wait(2) status.
ExitStatus ExitStatusFromWait(int wait_status);
// From waitid(2): siginfo si_code (CLD_*) and si_status.
ExitStatus ExitStatusFromSiginfo(int child_code, int child_status);

}  // namespace prisn::executor
