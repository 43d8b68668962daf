/* The public headers must compile on their own as strict C99 (and as C++: headertest.cpp). */
#include <rbpattn/rbpattn.h>
#include <rbpattn/plot.h> /* librbpattn-plot: not in the umbrella header */
#include <rbpattn/rbpattn.h> /* include guards */
#include <rbpattn/plot.h>

int rbp_headertest_c(void);
int rbp_headertest_c(void)
{
    return RBP_VERSION_CHECK(0, 0, 0) ? RBP_OK : RBP_ERR_STATE;
}
