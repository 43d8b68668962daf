// The public headers must compile as C++ with C linkage.
#include <rbpattn/rbpattn.h>
#include <rbpattn/plot.h> /* librbpattn-plot: not in the umbrella header */

int rbp_headertest_cxx();
int rbp_headertest_cxx()
{
    const char *(*fn)(rbp_status) = rbp_status_str;
    return fn != nullptr ? 0 : 1;
}
