/*
 * cli/plots.c - ROC and precision-recall curve pictures for the programs (through the
 * library's plot API), and directory creation for their output.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <rbpattn/plot.h>

#include "cli/cli.h"

void cli_mkdir_p(const char *dir)
{
    char *path = cli_xstrdup(dir);
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        path[--len] = '\0';
    /* Create each missing prefix in turn ("a", "a/b", "a/b/c"). */
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST)
                cli_fail("%s: cannot create directory: %s", path, strerror(errno));
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        cli_fail("%s: not a directory", path);
    free(path);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = cli_xmalloc(n);
    snprintf(p, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
    return p;
}

static void draw(const char *dir, const char *name, const rbp_plot_series *s, const rbp_plot_curve_opts *o,
                 FILE *log)
{
    char file[64];
    snprintf(file, sizeof file, "%s.png", name);
    char *png = join(dir, file);
    snprintf(file, sizeof file, "%s.svg", name);
    char *svg = join(dir, file);
    cli_check(rbp_plot_curves_png(png, s, 1, o));
    cli_check(rbp_plot_curves_svg(svg, s, 1, o));
    if (log != NULL)
        fprintf(log, "wrote %s and %s\n", png, svg);
    free(png);
    free(svg);
}

void cli_write_curves(const char *dir, const float *scores, const float *labels, size_t n, const char *title,
                      FILE *log)
{
    cli_mkdir_p(dir);
    size_t cap = n + 1, count = 0;
    double *x = cli_xmalloc(cap * sizeof *x);
    double *y = cli_xmalloc(cap * sizeof *y);
    double auc = NAN, ap = NAN;
    size_t positives = 0;
    for (size_t i = 0; i < n; i++)
        positives += labels[i] > 0.5f;
    cli_check(rbp_metric_roc_auc(scores, labels, n, &auc));
    cli_check(rbp_metric_average_precision(scores, labels, n, &ap));

    char label[64], full_title[256];
    rbp_plot_curve_opts o;
    cli_check(rbp_plot_curve_opts_init(&o, RBP_PLOT_CURVE_OPTS_VERSION));

    /* ROC: fpr on x, tpr on y, the diagonal as chance level. */
    cli_check(rbp_metric_roc_curve(scores, labels, n, x, y, NULL, cap, &count));
    snprintf(label, sizeof label, "AUC %.4f", auc);
    snprintf(full_title, sizeof full_title, "ROC - %s", title);
    rbp_plot_series s = {x, y, count, label};
    o.title = full_title;
    o.x_title = "false positive rate";
    o.y_title = "true positive rate";
    o.diagonal = 1;
    draw(dir, "roc", &s, &o, log);

    /* PR: recall on x, precision on y, steps as scikit-learn, the positive rate as chance. */
    cli_check(rbp_metric_pr_curve(scores, labels, n, y, x, NULL, cap, &count));
    snprintf(label, sizeof label, "AP %.4f", ap);
    snprintf(full_title, sizeof full_title, "precision-recall - %s", title);
    s.n = count;
    o.title = full_title;
    o.x_title = "recall";
    o.y_title = "precision";
    o.diagonal = 0;
    o.steps = 1;
    o.hline = (double)positives / (double)n;
    draw(dir, "pr", &s, &o, log);

    free(x);
    free(y);
}
