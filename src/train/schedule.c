/*
 * train/schedule.c - learning-rate schedules as pure functions of the step.
 *
 * TRANSFORMER is the "Attention is all you need" warmup the study uses (linear rise for
 * warmup steps, then 1/sqrt(step) decay, scaled by d_model^-0.5); CONSTANT and COSINE take
 * their peak from cfg->lr with an optional linear warmup. A pure function of (cfg, step)
 * keeps a resumed run on exactly the same rates as an uninterrupted one.
 */
#include <math.h>

#include "core/internal.h"
#include "rbpattn/train.h"

#define PI 3.14159265358979323846 /* M_PI is not in strict C11 */

double rbp_schedule_lr(const rbp_train_config *cfg, int32_t d_model, int64_t step, int64_t total_steps)
{
    static const char fn[] = "rbp_schedule_lr";
    if (cfg == NULL) {
        rbp__set_error(RBP_ERR_INVALID_ARG, "%s: argument 'cfg' is NULL", fn);
        return NAN;
    }
    const double s = step < 1 ? 1.0 : (double)step; /* steps are 1-based; 0 would give inf */
    const double w = cfg->warmup_steps > 0 ? (double)cfg->warmup_steps : 0.0;

    switch (cfg->schedule) {
    case RBP_SCHED_TRANSFORMER: {
        if (d_model < 1) {
            rbp__set_error(RBP_ERR_INVALID_ARG, "%s: d_model = %d, expected >= 1", fn, (int)d_model);
            return NAN;
        }
        double r = 1.0 / sqrt(s);
        if (w > 0.0) {
            double ramp = s * pow(w, -1.5);
            r = ramp < r ? ramp : r;
        }
        return (double)cfg->lr_scale / sqrt((double)d_model) * r;
    }
    case RBP_SCHED_CONSTANT:
        if (w > 0.0 && s < w)
            return (double)cfg->lr * s / w;
        return (double)cfg->lr;
    case RBP_SCHED_COSINE: {
        if (w > 0.0 && s < w)
            return (double)cfg->lr * s / w;
        /* After warmup: progress 0 at the end of warmup, 1 at the last step (rate 0). */
        double span = (double)total_steps - w;
        if (span <= 0.0)
            return (double)cfg->lr;
        double progress = (s - w) / span;
        if (progress > 1.0)
            progress = 1.0;
        return (double)cfg->lr * 0.5 * (1.0 + cos(PI * progress));
    }
    default:
        rbp__set_error(RBP_ERR_INVALID_ARG, "%s: rbp_train_config.schedule (--schedule) = %d is not an rbp_schedule",
                       fn, (int)cfg->schedule);
        return NAN;
    }
}
