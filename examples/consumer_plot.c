/*
 * consumer_plot.c - the smallest program linked against an installed librbpattn-plot (used by
 * the install test): draws a 2 x 3 heatmap as SVG and checks the file and the error path.
 *   consumer_plot OUT.svg
 */
#include <stdio.h>
#include <string.h>

#include <rbpattn/plot.h>
#include <rbpattn/rbpattn.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: consumer_plot OUT.svg\n");
        return 2;
    }
    const float m[6] = {0.1f, 0.5f, 0.9f, 0.2f, 0.4f, 0.8f};
    if (rbp_plot_heatmap_svg(argv[1], m, 2, 3, NULL) != RBP_OK) {
        fprintf(stderr, "rbp_plot_heatmap_svg: %s\n", rbp_last_error());
        return 1;
    }
    FILE *f = fopen(argv[1], "rb");
    char head[5] = {0};
    if (f == NULL || fread(head, 1, 4, f) != 4 || strcmp(head, "<?xm") != 0) {
        fprintf(stderr, "%s: not an SVG file\n", argv[1]);
        return 1;
    }
    fclose(f);
    /* errors of the plot library reach rbp_last_error of the core library */
    if (rbp_plot_heatmap_svg(NULL, m, 2, 3, NULL) != RBP_ERR_INVALID_ARG || strstr(rbp_last_error(), "path") == NULL) {
        fprintf(stderr, "expected an invalid-argument error naming 'path', got '%s'\n", rbp_last_error());
        return 1;
    }
    printf("rbpattn-plot %s: ok (%s)\n", rbp_version_string(), rbp_last_error());
    return 0;
}
