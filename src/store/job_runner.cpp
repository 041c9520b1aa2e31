#include "store/job_runner.hpp"
