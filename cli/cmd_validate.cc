#include "cli/command.h"
namespace prisn::cli {
void RegisterValidate(CLI::App&, Context&) {}
}
