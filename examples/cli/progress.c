/*
 * cli/progress.c - clocks, ^C handling and the progress display of long-running programs.
 *
 * On a terminal (isatty(stderr)) a single status line is redrawn in place with '\r', throttled
 * to ~10 redraws a second so that drawing never costs measurable time; off a terminal (logs,
 * CI, pipes) the same information comes as plain lines, at most one every log_every seconds
 * or (log_every 0) one when a unit of work ends, such as an epoch, so log files stay readable. The display is only ever written to stderr: stdout carries results.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *cli_format_duration(char *buf, size_t len, double s)
{
    if (!isfinite(s) || s < 0) {
        snprintf(buf, len, "?");
    } else if (s < 60) {
        snprintf(buf, len, "%.1f s", s);
    } else {
        long t = (long)(s + 0.5);
        if (t >= 3600)
            snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
        else
            snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
    }
    return buf;
}

static volatile sig_atomic_t g_interrupted = 0;

static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
    /* A second ^C terminates at once, as the user expects. */
    signal(SIGINT, SIG_DFL);
}

void cli_install_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

int cli_interrupted(void)
{
    return g_interrupted != 0;
}

void cli_progress_init(cli_progress *p, int enabled)
{
    memset(p, 0, sizeof *p);
    p->fp = stderr;
    p->enabled = enabled;
    p->tty = isatty(fileno(stderr));
    p->log_every = 10.0;
    /* On a terminal draw at once; in a log, the first line after log_every seconds (a short
     * job logs nothing but its results). */
    p->last = p->tty ? -1e30 : cli_now();
    p->width = 100;
    if (p->tty) {
        struct winsize ws;
        if (ioctl(fileno(stderr), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
            p->width = ws.ws_col;
        else {
            const char *cols = getenv("COLUMNS");
            if (cols != NULL && atoi(cols) >= 40)
                p->width = atoi(cols);
        }
    }
}

static const char *rate_text(char *buf, size_t len, double rate, const char *unit)
{
    if (!(rate > 0) || !isfinite(rate))
        buf[0] = '\0';
    else if (rate >= 100)
        snprintf(buf, len, "%.0f %s/s", rate, unit);
    else
        snprintf(buf, len, "%.1f %s/s", rate, unit);
    return buf;
}

void cli_progress_show(cli_progress *p, const char *label, double done, double total, const char *extra,
                       double rate, const char *unit, double eta, int force)
{
    if (!p->enabled)
        return;
    double now = cli_now();
    /* `force` marks the end of a unit (an epoch): drawn at once on a terminal, and with
     * log_every 0 the one line of that unit in a log. With log_every > 0 a log gets the
     * interval lines only (the program's own summary says how the work ended). */
    if (p->tty ? !force && now - p->last < 0.1 : (p->log_every > 0 ? now - p->last < p->log_every : !force))
        return;
    p->last = now;

    char rbuf[48], ebuf[32], counts[64];
    rate_text(rbuf, sizeof rbuf, rate, unit);
    cli_format_duration(ebuf, sizeof ebuf, eta);
    if (total > 0 && p->percent)
        snprintf(counts, sizeof counts, "%3.0f%%", 100.0 * done / total);
    else if (total > 0)
        snprintf(counts, sizeof counts, "%.0f/%.0f", done, total);
    else
        snprintf(counts, sizeof counts, "%.0f", done);

    char line[512];
    if (p->tty) {
        /* "epoch 3/20 [=====>     ] 120/469 loss 0.4123 1234 seq/s ETA 0:12" fitted to the width. */
        char tail[256];
        snprintf(tail, sizeof tail, " %s%s%s%s%s", counts, extra ? " " : "", extra ? extra : "",
                 rbuf[0] ? "  " : "", rbuf);
        if (eta >= 0) {
            size_t l = strlen(tail);
            snprintf(tail + l, sizeof tail - l, "  ETA %s", ebuf);
        }
        int room = p->width - 1 - (int)strlen(label) - (int)strlen(tail) - 3;
        int barw = room > 40 ? 40 : room;
        if (total > 0 && barw >= 10) {
            double frac = done / total;
            if (frac < 0)
                frac = 0;
            if (frac > 1)
                frac = 1;
            int fill = (int)(frac * barw);
            char bar[64];
            for (int i = 0; i < barw; i++)
                bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
            bar[barw] = '\0';
            snprintf(line, sizeof line, "%s [%s]%s", label, bar, tail);
        } else {
            snprintf(line, sizeof line, "%s%s", label, tail);
        }
        if ((int)strlen(line) > p->width - 1)
            line[p->width - 1] = '\0';
        /* \r, the line, then erase what a longer previous line left behind. */
        fprintf(p->fp, "\r%s\033[K", line);
        fflush(p->fp);
        p->drawn = 1;
    } else {
        snprintf(line, sizeof line, "%s: %s%s%s%s%s", label, counts, extra ? " " : "", extra ? extra : "",
                 rbuf[0] ? "  " : "", rbuf);
        fprintf(p->fp, "%s", line);
        if (eta >= 0)
            fprintf(p->fp, "  ETA %s", ebuf);
        fputc('\n', p->fp);
        fflush(p->fp);
    }
}

void cli_progress_clear(cli_progress *p)
{
    if (p->enabled && p->tty && p->drawn) {
        fprintf(p->fp, "\r\033[K");
        fflush(p->fp);
        p->drawn = 0;
    }
}
