#include "rh_zlib.h"
#include "rh_thread.h"
#include "rh_net.h"
#include "rh_cpu.h"
