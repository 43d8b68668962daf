/*
 * consumer.c - the smallest program linked against an installed rbpattn (used by the install
 * test): checks that headers and library agree on the version and that errors are reported.
 */
#include <stdio.h>
#include <string.h>

#include <rbpattn/rbpattn.h>

int main(void)
{
    int major = -1, minor = -1, patch = -1;
    rbp_version(&major, &minor, &patch);
    if (major != RBP_VERSION_MAJOR || minor != RBP_VERSION_MINOR || patch != RBP_VERSION_PATCH) {
        fprintf(stderr, "header %s but library %d.%d.%d\n", RBP_VERSION_STRING, major, minor, patch);
        return 1;
    }
    if (rbp_set_num_threads(0) != RBP_ERR_INVALID_ARG || strlen(rbp_last_error()) == 0) {
        fprintf(stderr, "expected an invalid-argument error with a message\n");
        return 1;
    }
    printf("rbpattn %s: ok (%s)\n", rbp_version_string(), rbp_last_error());
    return 0;
}
